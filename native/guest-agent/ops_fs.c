/* File-system reads and writes for the layer browser and tests: list, stat, mounts, read_file,
 * write_file, and hello. None of them needs a device. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "entry.h"
#include "ops.h"

/* read_file's cap: base64 of 512 KiB plus the envelope stays well inside the 1 MiB frame. */
#define READ_MAX (512 * 1024)

double uptime_seconds(void)
{
	FILE *f = fopen("/proc/uptime", "re");
	double up = 0;
	if (f != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up;
}

int op_hello(const struct req *r, struct jw *res)
{
	(void)r;
	jw_key(res, "version");
	jw_int(res, PROTOCOL_VERSION);
	jw_key(res, "uptime");
	jw_fixed2(res, uptime_seconds());
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int op_list(const struct req *r, struct jw *res)
{
	const char *path;
	if (arg_path(r, "path", &path) != 0)
		return -1;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return oerr_set(r->err, errno, "list %s", path);
	DIR *dir = fdopendir(dfd);
	if (dir == NULL) {
		int saved = errno;
		close(dfd);
		return oerr_set(r->err, saved, "list %s", path);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof *names);
			if (grown == NULL) {
				rc = oerr_set(r->err, ENOMEM, "list %s", path);
				break;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = oerr_set(r->err, ENOMEM, "list %s", path);
			break;
		}
		n++;
		errno = 0;
	}
	if (rc == 0 && errno != 0)
		rc = oerr_set(r->err, errno, "list %s", path);
	if (rc == 0) {
		qsort(names, n, sizeof *names, by_name);
		jw_key(res, "entries");
		jw_arr_open(res);
		for (size_t i = 0; i < n; i++) {
			struct stat st;
			/* An entry removed between readdir and lstat is simply no longer there. */
			if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			jw_obj_open(res);
			entry_fields(res, names[i], &st, dfd, names[i]);
			jw_obj_close(res);
		}
		jw_arr_close(res);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return rc;
}

int op_stat(const struct req *r, struct jw *res)
{
	const char *path;
	if (arg_path(r, "path", &path) != 0)
		return -1;
	struct stat st;
	if (lstat(path, &st) != 0)
		return oerr_set(r->err, errno, "stat %s", path);
	/* basename without modifying the argument; "/" and trailing slashes keep a sensible name. */
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	char name[4096];
	size_t nlen = len - start;
	if (nlen == 0) {
		strcpy(name, "/");
	} else {
		if (nlen >= sizeof name)
			nlen = sizeof name - 1;
		memcpy(name, path + start, nlen);
		name[nlen] = '\0';
	}
	entry_fields(res, name, &st, AT_FDCWD, path);
	return 0;
}

/* /proc/self/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

int op_mounts(const struct req *r, struct jw *res)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	if (f == NULL)
		return oerr_set(r->err, errno, "mounts: open /proc/self/mounts");
	jw_key(res, "mounts");
	jw_arr_open(res);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL;
		char *source = strtok_r(line, " \n", &save);
		char *target = strtok_r(NULL, " \n", &save);
		char *fstype = strtok_r(NULL, " \n", &save);
		char *options = strtok_r(NULL, " \n", &save);
		if (source == NULL || target == NULL || fstype == NULL || options == NULL)
			continue;
		unescape_octal(source);
		unescape_octal(target);
		jw_obj_open(res);
		jw_key(res, "source");
		jw_str(res, source);
		jw_key(res, "target");
		jw_str(res, target);
		jw_key(res, "fstype");
		jw_str(res, fstype);
		jw_key(res, "options");
		jw_str(res, options);
		jw_obj_close(res);
	}
	jw_arr_close(res);
	free(line);
	fclose(f);
	return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

int op_write_file(const struct req *r, struct jw *res)
{
	(void)res;
	const char *path;
	const struct jstr *data;
	long long mode;
	if (arg_path(r, "path", &path) != 0 || arg_string(r, "data", &data) != 0 ||
	    arg_int(r, "mode", false, 0644, 0, 07777, &mode) != 0)
		return -1;
	unsigned char *bytes = malloc(data->len / 4 * 3 + 3);
	if (bytes == NULL)
		return oerr_set(r->err, ENOMEM, "write_file %s", path);
	long n = base64_decode(data->s, data->len, bytes);
	if (n < 0) {
		free(bytes);
		return oerr_set(r->err, EINVAL, "write_file %s: 'data' is not valid base64", path);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		int saved = errno;
		free(bytes);
		return oerr_set(r->err, saved, "write_file %s", path);
	}
	/* open() applies the umask; the host asked for an exact mode. */
	int rc = 0;
	if (fchmod(fd, (mode_t)mode) != 0)
		rc = oerr_set(r->err, errno, "write_file %s: chmod %llo", path, mode);
	else if (write_all(fd, bytes, (size_t)n) != 0)
		rc = oerr_set(r->err, errno, "write_file %s", path);
	if (close(fd) != 0 && rc == 0)
		rc = oerr_set(r->err, errno, "write_file %s: close", path);
	free(bytes);
	return rc;
}

int op_read_file(const struct req *r, struct jw *res)
{
	const char *path;
	long long max;
	if (arg_path(r, "path", &path) != 0 ||
	    arg_int(r, "maxBytes", false, 65536, 0, 1LL << 40, &max) != 0)
		return -1;
	if (max > READ_MAX)
		max = READ_MAX;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return oerr_set(r->err, errno, "read_file %s", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int saved = errno;
		close(fd);
		return oerr_set(r->err, saved, "read_file %s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return oerr_set(r->err, EISDIR, "read_file %s", path);
	}
	unsigned char *buf = malloc((size_t)max + 1);
	if (buf == NULL) {
		close(fd);
		return oerr_set(r->err, ENOMEM, "read_file %s", path);
	}
	size_t got = 0;
	while (got < (size_t)max) {
		ssize_t n = read(fd, buf + got, (size_t)max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			return oerr_set(r->err, saved, "read_file %s", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	char *text = malloc(base64_encoded_len(got) + 1);
	if (text == NULL) {
		free(buf);
		return oerr_set(r->err, ENOMEM, "read_file %s", path);
	}
	base64_encode(buf, got, text);
	jw_key(res, "data");
	jw_str(res, text);
	/* size is the whole file, so the host can tell a truncated read; files without a size
	 * (proc, devices) report what was read. */
	jw_key(res, "size");
	jw_int(res, S_ISREG(st.st_mode) && st.st_size > 0 ? (long long)st.st_size : (long long)got);
	free(text);
	free(buf);
	return 0;
}
