/* Operation errors as the protocol reports them: errno, its symbolic name, and a message naming
 * what failed and the path, ending in strerror. */
#ifndef UVM_AGENT_OERR_H
#define UVM_AGENT_OERR_H

struct oerr {
	int errnum;
	char msg[2048];
};

/* Sets e to errnum with "<printf text>: <strerror(errnum)>"; returns -1 so callers can
 * `return oerr_set(...)`. */
int oerr_set(struct oerr *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "ENOENT", "EINVAL", ...; "E<number>" for values outside the table. buf holds the fallback. */
const char *errno_name(int errnum, char buf[16]);

#endif
