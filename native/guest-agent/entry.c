/* Directory entries for list/stat; see entry.h. */
#include "entry.h"

#include <limits.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const char *entry_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "file";
	}
}

void entry_fields(struct jw *w, const char *name, const struct stat *st, int dirfd, const char *relpath)
{
	jw_key(w, "name");
	jw_str(w, name);
	jw_key(w, "type");
	jw_str(w, entry_type(st->st_mode));
	jw_key(w, "size");
	jw_int(w, (long long)st->st_size);
	jw_key(w, "mode");
	jw_int(w, (long long)(st->st_mode & 07777));
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		/* A whiteout is a char device 0/0; the browser needs the numbers to tell it apart. */
		jw_key(w, "rdev");
		jw_arr_open(w);
		jw_uint(w, major(st->st_rdev));
		jw_uint(w, minor(st->st_rdev));
		jw_arr_close(w);
	}
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, relpath, target, sizeof target);
		if (n >= 0) {
			jw_key(w, "target");
			jw_strn(w, target, (size_t)n);
		}
	}
}
