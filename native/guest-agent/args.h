/* Typed access to request arguments, turning a missing or ill-typed field into an EINVAL error
 * that names the op and the argument. */
#ifndef UVM_AGENT_ARGS_H
#define UVM_AGENT_ARGS_H

#include <stdbool.h>

#include "json.h"
#include "oerr.h"

struct req {
	const struct jobj *obj;
	const char *op;
	struct oerr *err;
};

/* Each returns 0, or -1 with req->err set. Optional arguments fall back to def when absent or
 * null. */
int arg_path(const struct req *r, const char *key, const char **out);
int arg_int(const struct req *r, const char *key, bool required, long long def, long long min,
            long long max, long long *out);
int arg_bool(const struct req *r, const char *key, bool def, bool *out);
/* A required string without NUL characters. */
int arg_string(const struct req *r, const char *key, const struct jstr **out);
/* A string array; absent gives n = 0 when optional. */
int arg_strings(const struct req *r, const char *key, bool required, const struct jstr **arr, size_t *n);

#endif
