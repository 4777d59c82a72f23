/* File-system helpers; see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mkdir_p(const char *path, bool *created_leaf)
{
	char buf[4096];
	size_t len = strlen(path);
	if (created_leaf != NULL)
		*created_leaf = false;
	if (len == 0 || len >= sizeof buf) {
		errno = len == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) == 0) {
			if (saved == '\0' || buf[i + 1] == '\0')
				if (created_leaf != NULL)
					*created_leaf = true;
		} else if (errno == EEXIST) {
			struct stat st;
			if (stat(buf, &st) != 0)
				return -1;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return -1;
			}
		} else {
			return -1;
		}
		buf[i] = saved;
	}
	return 0;
}

int ext4_probe(const char *dev, struct ext4_probe *out)
{
	/* The superblock starts at byte 1024; the magic is at +56 and s_log_block_size at +24. */
	unsigned char sb[1024];
	out->is_ext = false;
	out->block_size = 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, sb, sizeof sb, 1024);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	if (n < 64)
		return 0;
	uint16_t magic = (uint16_t)(sb[56] | (sb[57] << 8));
	uint32_t log = (uint32_t)sb[24] | ((uint32_t)sb[25] << 8) | ((uint32_t)sb[26] << 16) | ((uint32_t)sb[27] << 24);
	out->is_ext = magic == 0xEF53;
	if (out->is_ext && log <= 6)
		out->block_size = 1024u << log;
	return 0;
}
