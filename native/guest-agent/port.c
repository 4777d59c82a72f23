/* Stream endpoints; see port.h. */
#include "port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int port_find_virtio(const char *name, char *dev, size_t devlen)
{
	DIR *d = opendir(VIRTIO_PORTS);
	if (d == NULL)
		return -1;
	struct dirent *de;
	int rc = -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[512], buf[128];
		snprintf(path, sizeof path, "%s/%s/name", VIRTIO_PORTS, de->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		char *line = fgets(buf, sizeof buf, f);
		fclose(f);
		if (line == NULL)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, name) == 0) {
			snprintf(dev, devlen, "/dev/%s", de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

int port_open_virtio(const char *name)
{
	char dev[300];
	for (int attempt = 0;; attempt++) {
		if (port_find_virtio(name, dev, sizeof dev) == 0) {
			int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
			if (fd >= 0) {
				fprintf(stderr, "uvm-agent: serving on %s (port '%s')\n", dev, name);
				return fd;
			}
			if (attempt % 50 == 0)
				fprintf(stderr, "uvm-agent: open %s: %s\n", dev, strerror(errno));
		} else if (attempt % 50 == 0) {
			fprintf(stderr, "uvm-agent: waiting for virtio port '%s' in %s\n", name, VIRTIO_PORTS);
		}
		/* The agent is PID 1's replacement: giving up would panic the VM, so it keeps waiting. */
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int port_listen_unix(const char *path)
{
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
