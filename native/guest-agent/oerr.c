/* Operation errors; see oerr.h. */
#include "oerr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int oerr_set(struct oerr *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	size_t used = (size_t)n < sizeof e->msg ? (size_t)n : sizeof e->msg - 1;
	snprintf(e->msg + used, sizeof e->msg - used, ": %s", strerror(errnum));
	e->errnum = errnum;
	return -1;
}

#define E(x) { x, #x }
static const struct {
	int num;
	const char *name;
} NAMES[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
	E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST),
	E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(ERANGE),
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENODATA),
	E(ETIME), E(EPROTO), E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(EMSGSIZE), E(EOPNOTSUPP),
	E(ECONNRESET), E(ETIMEDOUT), E(ESTALE), E(EDQUOT), E(ECANCELED), E(EUCLEAN),
	E(ENOMEDIUM), E(EMEDIUMTYPE),
};
#undef E

const char *errno_name(int errnum, char buf[16])
{
	for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
		if (NAMES[i].num == errnum)
			return NAMES[i].name;
	}
	snprintf(buf, 16, "E%d", errnum);
	return buf;
}
