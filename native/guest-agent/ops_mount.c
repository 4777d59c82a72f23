/* Device and mount operations: SCSI and pmem disks, formatting the scratch, overlayfs. These are
 * the GCS-like half of the agent and need the utility VM's devices (and root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "fsutil.h"
#include "ops.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004 /* Linux 5.6+; musl 1.2.3's headers predate it */
#endif

#define TIMEOUT_MAX_MS 600000
#define DEV_LEN 280

const char *agent_mke2fs_path = "/sbin/mke2fs";

/* mount(8)-style flag words become mount flags; everything else is file-system data. */
static const struct {
	const char *name;
	unsigned long set;
	unsigned long clear;
} FLAG_OPTIONS[] = {
	{"ro", MS_RDONLY, 0},           {"rw", 0, MS_RDONLY},
	{"nosuid", MS_NOSUID, 0},       {"nodev", MS_NODEV, 0},
	{"noexec", MS_NOEXEC, 0},       {"sync", MS_SYNCHRONOUS, 0},
	{"dirsync", MS_DIRSYNC, 0},     {"noatime", MS_NOATIME, 0},
	{"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},
	{"strictatime", MS_STRICTATIME, 0}, {"lazytime", MS_LAZYTIME, 0},
};

static int build_options(const struct req *r, const struct jstr *opts, size_t n, unsigned long *flags,
                         char *data, size_t datalen)
{
	size_t used = 0;
	data[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		bool matched = false;
		for (size_t k = 0; k < sizeof FLAG_OPTIONS / sizeof FLAG_OPTIONS[0]; k++) {
			if (strcmp(opts[i].s, FLAG_OPTIONS[k].name) == 0) {
				*flags = (*flags | FLAG_OPTIONS[k].set) & ~FLAG_OPTIONS[k].clear;
				matched = true;
			}
		}
		if (matched || opts[i].len == 0)
			continue;
		int w = snprintf(data + used, datalen - used, "%s%s", used ? "," : "", opts[i].s);
		if (w < 0 || (size_t)w >= datalen - used)
			return oerr_set(r->err, E2BIG, "%s: mount options longer than %zu bytes", r->op, datalen - 1);
		used += (size_t)w;
	}
	return 0;
}

/* Mounts dev on path, creating path; a directory created here is removed again on failure so a
 * failed mount leaves nothing behind. */
static int mount_at(const struct req *r, const char *dev, const char *path, const char *fstype,
                    unsigned long flags, const char *data)
{
	bool created = false;
	if (mkdir_p(path, &created) != 0)
		return oerr_set(r->err, errno, "%s: mkdir %s", r->op, path);
	if (mount(dev, path, fstype, flags, data) != 0) {
		int saved = errno;
		if (created)
			rmdir(path);
		return oerr_set(r->err, saved, "%s: mount %s on %s (%s, %s%s%s)", r->op, dev, path, fstype,
		                (flags & MS_RDONLY) ? "ro" : "rw", data[0] ? "," : "", data);
	}
	return 0;
}

int op_mount_scsi(const struct req *r, struct jw *res)
{
	long long target, lun, timeout;
	const char *path;
	bool ro;
	const struct jstr *opts;
	size_t nopts;
	if (arg_int(r, "target", true, 0, 0, 255, &target) != 0 ||
	    arg_int(r, "lun", true, 0, 0, 16383, &lun) != 0 || arg_path(r, "path", &path) != 0 ||
	    arg_bool(r, "readOnly", false, &ro) != 0 ||
	    arg_strings(r, "options", false, &opts, &nopts) != 0 ||
	    arg_int(r, "timeoutMs", false, 5000, 0, TIMEOUT_MAX_MS, &timeout) != 0)
		return -1;
	unsigned long flags = ro ? MS_RDONLY : 0;
	char data[1024];
	if (build_options(r, opts, nopts, &flags, data, sizeof data) != 0)
		return -1;
	/* readOnly wins over an "rw" option: a layer mounted writable would be corrupted. */
	if (ro)
		flags |= MS_RDONLY;
	char dev[DEV_LEN];
	if (scsi_wait_disk(target, lun, timeout, dev, sizeof dev, r->op, r->err) != 0)
		return -1;
	if (mount_at(r, dev, path, "ext4", flags, data) != 0)
		return -1;
	jw_key(res, "device");
	jw_str(res, dev);
	return 0;
}

/* A random (version 4) UUID that never waits for entropy. Left to itself, mke2fs asks libuuid,
 * which polls getrandom() for about a second per UUID until the kernel's CRNG is seeded; in a
 * fresh TCG guest with no entropy source that made every format take about 4 s instead of 0.1 s.
 * A file-system UUID and directory hash seed need uniqueness, not secrecy. */
static void insecure_uuid(char out[37])
{
	unsigned char b[16];
	ssize_t n = getrandom(b, sizeof b, GRND_INSECURE);
	if (n != (ssize_t)sizeof b)
		n = getrandom(b, sizeof b, GRND_NONBLOCK);
	if (n != (ssize_t)sizeof b) {
		/* Kernels before 5.6 without a seeded CRNG: urandom never blocks. */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
			long long seed = monotonic_ms() ^ (long long)getpid();
			for (size_t i = 0; i < sizeof b; i++)
				b[i] = (unsigned char)(seed >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
		}
		if (fd >= 0)
			close(fd);
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Runs the bundled mke2fs; its stderr becomes part of the error so the host sees why. */
static int run_mke2fs(const struct req *r, const char *dev)
{
	char uuid[37], seed[37], seed_opt[64];
	insecure_uuid(uuid);
	insecure_uuid(seed);
	snprintf(seed_opt, sizeof seed_opt, "hash_seed=%s", seed);
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return oerr_set(r->err, errno, "%s: pipe for %s", r->op, agent_mke2fs_path);
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return oerr_set(r->err, saved, "%s: fork for %s", r->op, agent_mke2fs_path);
	}
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		char *const argv[] = {(char *)"mke2fs", (char *)"-q", (char *)"-t", (char *)"ext4", (char *)"-F",
		                      (char *)"-U", uuid, (char *)"-E", seed_opt, (char *)dev, NULL};
		char *const envp[] = {(char *)"PATH=/sbin:/bin", (char *)"MKE2FS_CONFIG=/etc/mke2fs.conf", NULL};
		execve(agent_mke2fs_path, argv, envp);
		dprintf(STDERR_FILENO, "exec %s: %s", agent_mke2fs_path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	char out[512];
	size_t got = 0;
	for (;;) {
		char sink[512];
		ssize_t n = read(pipefd[0], sink, sizeof sink);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && got < sizeof out - 1; i++)
			out[got++] = sink[i] == '\n' ? ' ' : sink[i];
	}
	out[got] = '\0';
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return oerr_set(r->err, errno, "%s: wait for %s", r->op, agent_mke2fs_path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return oerr_set(r->err, code == 127 ? ENOENT : EIO, "%s: %s -q -t ext4 -F -U %s -E %s %s exited with %d (%s)",
	                r->op, agent_mke2fs_path, uuid, seed_opt, dev, code, got ? out : "no output");
}

int op_format_if_blank(const struct req *r, struct jw *res)
{
	long long target, lun, timeout;
	if (arg_int(r, "target", true, 0, 0, 255, &target) != 0 ||
	    arg_int(r, "lun", true, 0, 0, 16383, &lun) != 0 ||
	    arg_int(r, "timeoutMs", false, 5000, 0, TIMEOUT_MAX_MS, &timeout) != 0)
		return -1;
	char dev[DEV_LEN];
	if (scsi_wait_disk(target, lun, timeout, dev, sizeof dev, r->op, r->err) != 0)
		return -1;
	struct ext4_probe probe;
	if (ext4_probe(dev, &probe) != 0)
		return oerr_set(r->err, errno, "%s: read superblock of %s", r->op, dev);
	if (!probe.is_ext && run_mke2fs(r, dev) != 0)
		return -1;
	jw_key(res, "formatted");
	jw_bool(res, !probe.is_ext);
	return 0;
}

int op_mount_pmem(const struct req *r, struct jw *res)
{
	long long memaddr, timeout;
	const char *path;
	if (arg_int(r, "memaddr", true, 0, 0, 0x7fffffffffffffffLL, &memaddr) != 0 ||
	    arg_path(r, "path", &path) != 0 ||
	    arg_int(r, "timeoutMs", false, 5000, 0, TIMEOUT_MAX_MS, &timeout) != 0)
		return -1;
	char dev[DEV_LEN];
	if (pmem_wait_disk((unsigned long long)memaddr, timeout, dev, sizeof dev, r->op, r->err) != 0)
		return -1;
	struct ext4_probe probe;
	if (ext4_probe(dev, &probe) != 0)
		return oerr_set(r->err, errno, "%s: read superblock of %s", r->op, dev);
	/* DAX maps the layer's pages straight from the host file, but ext4 only allows it when the
	 * block size equals the page size (QEMU-NOTES §4: 4K-block images). */
	long page = sysconf(_SC_PAGESIZE);
	if (probe.is_ext && page > 0 && probe.block_size == (unsigned)page) {
		struct oerr dax_err;
		struct req dax_req = *r;
		dax_req.err = &dax_err;
		if (mount_at(&dax_req, dev, path, "ext4", MS_RDONLY, "dax") == 0) {
			jw_key(res, "device");
			jw_str(res, dev);
			return 0;
		}
		/* A kernel without fs-dax refuses the option; the mount itself can still work. */
	}
	if (mount_at(r, dev, path, "ext4", MS_RDONLY, "") != 0)
		return -1;
	jw_key(res, "device");
	jw_str(res, dev);
	return 0;
}

int op_unmount(const struct req *r, struct jw *res)
{
	(void)res;
	const char *path;
	bool remove_dir;
	if (arg_path(r, "path", &path) != 0 || arg_bool(r, "removeDir", true, &remove_dir) != 0)
		return -1;
	if (umount2(path, 0) != 0)
		return oerr_set(r->err, errno, "unmount %s", path);
	/* The mount point is ours to clean up; a failure here does not undo the unmount, which is
	 * what the host asked for, so it is not reported. */
	if (remove_dir)
		rmdir(path);
	return 0;
}

int op_scsi_unplug(const struct req *r, struct jw *res)
{
	(void)res;
	long long target, lun;
	if (arg_int(r, "target", true, 0, 0, 255, &target) != 0 ||
	    arg_int(r, "lun", true, 0, 0, 16383, &lun) != 0)
		return -1;
	char dir[512], del[600];
	if (scsi_device_dir(target, lun, dir, sizeof dir) != 0)
		return oerr_set(r->err, ENOENT, "scsi_unplug: no SCSI device *:0:%lld:%lld in %s", target,
		                lun, SYSFS_SCSI);
	snprintf(del, sizeof del, "%s/delete", dir);
	int fd = open(del, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oerr_set(r->err, errno, "scsi_unplug: open %s", del);
	int rc = 0;
	if (write(fd, "1", 1) != 1)
		rc = oerr_set(r->err, errno, "scsi_unplug: write %s", del);
	close(fd);
	return rc;
}

/* overlayfs splits lowerdir on ':' and its options on ','; such paths would be misread. */
static int check_overlay_path(const struct req *r, const char *what, const char *p)
{
	if (p[0] != '/')
		return oerr_set(r->err, EINVAL, "overlay: %s '%s' must be an absolute path", what, p);
	if (strpbrk(p, ":,\\") != NULL)
		return oerr_set(r->err, EINVAL, "overlay: %s '%s' contains ':', ',' or '\\'", what, p);
	return 0;
}

int op_overlay(const struct req *r, struct jw *res)
{
	(void)res;
	const struct jstr *lowers;
	size_t n;
	const char *scratch, *target;
	if (arg_strings(r, "lowers", true, &lowers, &n) != 0 || arg_path(r, "scratch", &scratch) != 0 ||
	    arg_path(r, "target", &target) != 0)
		return -1;
	if (n == 0)
		return oerr_set(r->err, EINVAL, "overlay: 'lowers' is empty");
	for (size_t i = 0; i < n; i++) {
		if (check_overlay_path(r, "lower", lowers[i].s) != 0)
			return -1;
	}
	if (check_overlay_path(r, "scratch", scratch) != 0 || check_overlay_path(r, "target", target) != 0)
		return -1;
	char upper[4096], work[4096];
	snprintf(upper, sizeof upper, "%s/upper", scratch);
	snprintf(work, sizeof work, "%s/work", scratch);
	if (mkdir_p(upper, NULL) != 0)
		return oerr_set(r->err, errno, "overlay: mkdir %s", upper);
	if (mkdir_p(work, NULL) != 0)
		return oerr_set(r->err, errno, "overlay: mkdir %s", work);
	/* The kernel takes mount data up to one page. */
	char data[4096];
	size_t used = 0;
	int w = snprintf(data, sizeof data, "lowerdir=");
	used = (size_t)w;
	for (size_t i = 0; i < n && used < sizeof data; i++) {
		w = snprintf(data + used, sizeof data - used, "%s%s", i ? ":" : "", lowers[i].s);
		used += (size_t)w;
	}
	if (used < sizeof data) {
		w = snprintf(data + used, sizeof data - used, ",upperdir=%s,workdir=%s", upper, work);
		used += (size_t)w;
	}
	if (used >= sizeof data)
		return oerr_set(r->err, E2BIG, "overlay: options for %zu layers exceed one page (%zu bytes)",
		                n, sizeof data - 1);
	return mount_at(r, "overlay", target, "overlay", 0, data);
}
