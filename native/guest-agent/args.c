/* Request argument access; see args.h. */
#include "args.h"

#include <errno.h>
#include <string.h>

static const struct jfield *present(const struct req *r, const char *key)
{
	const struct jfield *f = json_get(r->obj, key);
	return (f == NULL || f->type == J_NULL) ? NULL : f;
}

int arg_string(const struct req *r, const char *key, const struct jstr **out)
{
	const struct jfield *f = present(r, key);
	if (f == NULL)
		return oerr_set(r->err, EINVAL, "%s: missing argument '%s'", r->op, key);
	if (f->type != J_STR)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' must be a string", r->op, key);
	if (strlen(f->str.s) != f->str.len)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' contains a NUL character", r->op, key);
	*out = &f->str;
	return 0;
}

int arg_path(const struct req *r, const char *key, const char **out)
{
	const struct jstr *s;
	if (arg_string(r, key, &s) != 0)
		return -1;
	/* Relative paths would resolve against the agent's cwd, which the host cannot see. */
	if (s->s[0] != '/')
		return oerr_set(r->err, EINVAL, "%s: argument '%s' must be an absolute path, got '%s'",
		                r->op, key, s->s);
	*out = s->s;
	return 0;
}

int arg_int(const struct req *r, const char *key, bool required, long long def, long long min,
            long long max, long long *out)
{
	const struct jfield *f = present(r, key);
	if (f == NULL) {
		if (required)
			return oerr_set(r->err, EINVAL, "%s: missing argument '%s'", r->op, key);
		*out = def;
		return 0;
	}
	if (f->type != J_INT)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' must be an integer", r->op, key);
	if (f->i < min || f->i > max)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' = %lld is outside %lld..%lld", r->op,
		                key, f->i, min, max);
	*out = f->i;
	return 0;
}

int arg_bool(const struct req *r, const char *key, bool def, bool *out)
{
	const struct jfield *f = present(r, key);
	if (f == NULL) {
		*out = def;
		return 0;
	}
	if (f->type != J_BOOL)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' must be a boolean", r->op, key);
	*out = f->b;
	return 0;
}

int arg_strings(const struct req *r, const char *key, bool required, const struct jstr **arr, size_t *n)
{
	const struct jfield *f = present(r, key);
	if (f == NULL) {
		if (required)
			return oerr_set(r->err, EINVAL, "%s: missing argument '%s'", r->op, key);
		*arr = NULL;
		*n = 0;
		return 0;
	}
	if (f->type != J_STRARR)
		return oerr_set(r->err, EINVAL, "%s: argument '%s' must be an array of strings", r->op, key);
	for (size_t i = 0; i < f->n; i++) {
		if (strlen(f->arr[i].s) != f->arr[i].len)
			return oerr_set(r->err, EINVAL, "%s: element %zu of '%s' contains a NUL character",
			                r->op, i, key);
	}
	*arr = f->arr;
	*n = f->n;
	return 0;
}
