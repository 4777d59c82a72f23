/* sysfs device lookup; see devices.h. Hot-plug is asynchronous: QEMU's device_add returns before
 * the guest has scanned the bus, so every lookup polls until a deadline. */
#include "devices.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 10

long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* First entry of dir that is not "." or ".."; used for the single child of .../block/. */
static int first_child(const char *dir, char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *de;
	int rc = -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(out, outlen, "%s", de->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

int scsi_device_dir(long long target, long long lun, char *out, size_t outlen)
{
	DIR *d = opendir(SYSFS_SCSI);
	if (d == NULL)
		return -1;
	struct dirent *de;
	int rc = -1;
	while ((de = readdir(d)) != NULL) {
		/* Entries are host:channel:target:lun for disks (plus hostN/targetN:... we skip). */
		unsigned long long h, c, t, l;
		int used = 0;
		if (sscanf(de->d_name, "%llu:%llu:%llu:%llu%n", &h, &c, &t, &l, &used) != 4 ||
		    de->d_name[used] != '\0')
			continue;
		if (c == 0 && t == (unsigned long long)target && l == (unsigned long long)lun) {
			snprintf(out, outlen, "%s/%s", SYSFS_SCSI, de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* Whether the disk `name` can be used yet; 0, or an errno saying what is still missing. Sysfs lists
 * a hot-plugged disk a moment before it goes live (open() fails with ENXIO in between), and
 * devtmpfs may still hold the node of a removed disk that had the same name, so the node must be
 * the device sysfs lists under that name and must open. */
static int node_ready(const char *name, char *dev, size_t devlen)
{
	snprintf(dev, devlen, "/dev/%s", name);
	char sys[320];
	snprintf(sys, sizeof sys, "/sys/class/block/%s/dev", name);
	FILE *f = fopen(sys, "re");
	if (f == NULL)
		return ENODEV;
	unsigned maj, min;
	int n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return ENODEV;
	struct stat st;
	if (stat(dev, &st) != 0)
		return errno;
	if (!S_ISBLK(st.st_mode) || st.st_rdev != makedev(maj, min))
		return ESTALE;
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int scsi_wait_disk(long long target, long long lun, long long timeout_ms, char *dev, size_t devlen,
                   const char *op, struct oerr *e)
{
	long long deadline = monotonic_ms() + timeout_ms;
	char dir[512], block[600], name[256];
	int not_ready = 0;
	for (;;) {
		if (scsi_device_dir(target, lun, dir, sizeof dir) == 0) {
			snprintf(block, sizeof block, "%s/block", dir);
			if (first_child(block, name, sizeof name) == 0) {
				not_ready = node_ready(name, dev, devlen);
				if (not_ready == 0)
					return 0;
			}
		}
		if (monotonic_ms() >= deadline) {
			if (not_ready != 0)
				return oerr_set(e, ETIMEDOUT, "%s: SCSI disk *:0:%lld:%lld is %s but not usable after %lld ms (%s)",
				                op, target, lun, dev, timeout_ms, strerror(not_ready));
			return oerr_set(e, ETIMEDOUT,
			                "%s: no SCSI disk at *:0:%lld:%lld in %s after %lld ms", op, target,
			                lun, SYSFS_SCSI, timeout_ms);
		}
		sleep_ms(POLL_MS);
	}
}

static int read_hex_file(const char *path, unsigned long long *out)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	char buf[64];
	int rc = -1;
	if (fgets(buf, sizeof buf, f) != NULL) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(buf, &end, 0);
		if (errno == 0 && end != buf) {
			*out = v;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* Looks for regionX/namespaceX.Y/block/pmemN under the region whose resource is memaddr. */
static int pmem_find(unsigned long long memaddr, char *name, size_t namelen, bool *region_seen)
{
	DIR *d = opendir(SYSFS_ND);
	if (d == NULL)
		return -1;
	struct dirent *de;
	int rc = -1;
	while (rc != 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "region", 6) != 0)
			continue;
		char path[512];
		unsigned long long start;
		snprintf(path, sizeof path, "%s/%s/resource", SYSFS_ND, de->d_name);
		if (read_hex_file(path, &start) != 0 || start != memaddr)
			continue;
		*region_seen = true;
		snprintf(path, sizeof path, "%s/%s", SYSFS_ND, de->d_name);
		DIR *rd = opendir(path);
		if (rd == NULL)
			continue;
		struct dirent *ns;
		while ((ns = readdir(rd)) != NULL) {
			if (strncmp(ns->d_name, "namespace", 9) != 0)
				continue;
			char block[800];
			snprintf(block, sizeof block, "%s/%s/block", path, ns->d_name);
			if (first_child(block, name, namelen) == 0) {
				rc = 0;
				break;
			}
		}
		closedir(rd);
	}
	closedir(d);
	return rc;
}

int pmem_wait_disk(unsigned long long memaddr, long long timeout_ms, char *dev, size_t devlen,
                   const char *op, struct oerr *e)
{
	long long deadline = monotonic_ms() + timeout_ms;
	char name[256];
	bool region_seen = false;
	for (;;) {
		if (pmem_find(memaddr, name, sizeof name, &region_seen) == 0 && node_ready(name, dev, devlen) == 0)
			return 0; /* a namespace that exists but does not open yet reads as "no pmem block device" */
		if (monotonic_ms() >= deadline) {
			/* Say which half failed: no region usually means a wrong memaddr; a region
			 * without a namespace usually means misalignment (QEMU-NOTES §4). */
			if (region_seen)
				return oerr_set(e, ETIMEDOUT,
				                "%s: nd region at 0x%llx has no pmem block device after %lld ms "
				                "(misaligned? regions must start and end on 2 MiB)",
				                op, memaddr, timeout_ms);
			return oerr_set(e, ETIMEDOUT, "%s: no nd region at 0x%llx in %s after %lld ms", op,
			                memaddr, SYSFS_ND, timeout_ms);
		}
		sleep_ms(POLL_MS);
	}
}
