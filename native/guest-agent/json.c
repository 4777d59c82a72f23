/* Recursive-descent reader for the flat request objects described in json.h. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Nesting bound for skipped values; requests are flat, so anything deep is hostile or broken. */
#define MAX_DEPTH 32

struct parser {
	const char *p;
	const char *end;
	const char *err;
};

static int fail(struct parser *ps, const char *why)
{
	if (ps->err == NULL)
		ps->err = why;
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

static int buf_put(struct buf *b, const char *src, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (s == NULL)
			return -1;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, src, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int hex4(struct parser *ps, unsigned *out)
{
	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(ps, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

static size_t utf8_encode(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int parse_escape(struct parser *ps, struct buf *b)
{
	if (ps->p >= ps->end)
		return fail(ps, "truncated escape");
	char c = *ps->p++;
	const char *simple = NULL;
	switch (c) {
	case '"': simple = "\""; break;
	case '\\': simple = "\\"; break;
	case '/': simple = "/"; break;
	case 'b': simple = "\b"; break;
	case 'f': simple = "\f"; break;
	case 'n': simple = "\n"; break;
	case 'r': simple = "\r"; break;
	case 't': simple = "\t"; break;
	case 'u': break;
	default: return fail(ps, "unknown escape in string");
	}
	if (simple != NULL)
		return buf_put(b, simple, 1);
	unsigned cp;
	if (hex4(ps, &cp) != 0)
		return -1;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		unsigned lo;
		if (!literal(ps, "\\u") || hex4(ps, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
			return fail(ps, "unpaired surrogate in string");
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		return fail(ps, "unpaired surrogate in string");
	}
	char enc[4];
	size_t n = utf8_encode(cp, enc);
	/* A NUL byte would be a hidden terminator in a path; it is stored and rejected by the
	 * argument checks rather than silently truncating. */
	if (cp == 0) {
		enc[0] = '\0';
		n = 1;
	}
	return buf_put(b, enc, n);
}

static int parse_string(struct parser *ps, struct jstr *out)
{
	struct buf b = {0};
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "expected a string");
	ps->p++;
	if (buf_put(&b, "", 0) != 0)
		return fail(ps, "out of memory");
	for (;;) {
		if (ps->p >= ps->end) {
			free(b.s);
			return fail(ps, "unterminated string");
		}
		const char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (ps->p > run && buf_put(&b, run, (size_t)(ps->p - run)) != 0) {
			free(b.s);
			return fail(ps, "out of memory");
		}
		if (ps->p >= ps->end)
			continue;
		char c = *ps->p;
		if (c == '"') {
			ps->p++;
			out->s = b.s;
			out->len = b.len;
			return 0;
		}
		if (c == '\\') {
			ps->p++;
			if (parse_escape(ps, &b) != 0) {
				free(b.s);
				return fail(ps, "bad escape");
			}
			continue;
		}
		free(b.s);
		return fail(ps, "control character in string");
	}
}

static int parse_number(struct parser *ps, struct jfield *f)
{
	const char *start = ps->p;
	bool integral = true;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end)
		return fail(ps, "truncated number");
	if (*ps->p == '0') {
		ps->p++;
	} else if (*ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else {
		return fail(ps, "bad number");
	}
	if (ps->p < ps->end && *ps->p == '.') {
		integral = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad fraction");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad exponent");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	size_t n = (size_t)(ps->p - start);
	char tmp[64];
	if (n >= sizeof tmp) {
		/* Longer than any useful integer: keep it as an approximate double. */
		integral = false;
		n = sizeof tmp - 1;
	}
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	f->d = strtod(tmp, NULL);
	f->type = J_NUM;
	if (integral) {
		errno = 0;
		long long v = strtoll(tmp, NULL, 10);
		if (errno == 0) {
			f->type = J_INT;
			f->i = v;
		}
	}
	return 0;
}

static int skip_value(struct parser *ps, int depth);

static int skip_container(struct parser *ps, int depth, char close, bool keyed)
{
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		if (keyed) {
			struct jstr k;
			if (parse_string(ps, &k) != 0)
				return -1;
			free(k.s);
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		if (skip_value(ps, depth + 1) != 0)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, keyed ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int skip_value(struct parser *ps, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(ps, "nesting too deep");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	struct jfield scratch = {0};
	switch (*ps->p) {
	case '{': return skip_container(ps, depth, '}', true);
	case '[': return skip_container(ps, depth, ']', false);
	case '"': {
		if (parse_string(ps, &scratch.str) != 0)
			return -1;
		free(scratch.str.s);
		return 0;
	}
	case 't': return literal(ps, "true") ? 0 : fail(ps, "bad literal");
	case 'f': return literal(ps, "false") ? 0 : fail(ps, "bad literal");
	case 'n': return literal(ps, "null") ? 0 : fail(ps, "bad literal");
	default: return parse_number(ps, &scratch);
	}
}

static void free_arr(struct jstr *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i].s);
	free(arr);
}

/* Arrays of strings are kept; any other array is skipped and typed J_OTHER. */
static int parse_array(struct parser *ps, struct jfield *f)
{
	const char *start = ps->p;
	struct jstr *arr = NULL;
	size_t n = 0, cap = 0;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		f->type = J_STRARR;
		f->arr = NULL;
		f->n = 0;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct jstr *grown = realloc(arr, cap * sizeof *arr);
			if (grown == NULL) {
				free_arr(arr, n);
				return fail(ps, "out of memory");
			}
			arr = grown;
		}
		if (parse_string(ps, &arr[n]) != 0) {
			free_arr(arr, n);
			return -1;
		}
		n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			f->type = J_STRARR;
			f->arr = arr;
			f->n = n;
			return 0;
		}
		free_arr(arr, n);
		return fail(ps, "expected ',' or ']'");
	}
	free_arr(arr, n);
	ps->p = start;
	f->type = J_OTHER;
	return skip_value(ps, 1);
}

static int parse_value(struct parser *ps, struct jfield *f)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	switch (*ps->p) {
	case '"':
		f->type = J_STR;
		return parse_string(ps, &f->str);
	case '[':
		return parse_array(ps, f);
	case '{':
		f->type = J_OTHER;
		return skip_value(ps, 1);
	case 't':
		f->type = J_BOOL;
		f->b = true;
		return literal(ps, "true") ? 0 : fail(ps, "bad literal");
	case 'f':
		f->type = J_BOOL;
		f->b = false;
		return literal(ps, "false") ? 0 : fail(ps, "bad literal");
	case 'n':
		f->type = J_NULL;
		return literal(ps, "null") ? 0 : fail(ps, "bad literal");
	default:
		return parse_number(ps, f);
	}
}

static void free_field(struct jfield *f)
{
	free(f->key);
	free(f->str.s);
	free_arr(f->arr, f->n);
}

int json_parse_object(const char *text, size_t len, struct jobj *out, const char **err)
{
	struct parser ps = {text, text + len, NULL};
	out->f = NULL;
	out->n = 0;
	size_t cap = 0;
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{') {
		*err = "expected a JSON object";
		return -1;
	}
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
		goto done;
	}
	for (;;) {
		skip_ws(&ps);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct jfield *grown = realloc(out->f, cap * sizeof *grown);
			if (grown == NULL) {
				fail(&ps, "out of memory");
				goto bad;
			}
			out->f = grown;
		}
		struct jfield *f = &out->f[out->n];
		memset(f, 0, sizeof *f);
		struct jstr key;
		if (parse_string(&ps, &key) != 0)
			goto bad;
		f->key = key.s;
		out->n++;
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p != ':') {
			fail(&ps, "expected ':' after a key");
			goto bad;
		}
		ps.p++;
		if (parse_value(&ps, f) != 0)
			goto bad;
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == ',') {
			ps.p++;
			continue;
		}
		if (ps.p < ps.end && *ps.p == '}') {
			ps.p++;
			break;
		}
		fail(&ps, "expected ',' or '}'");
		goto bad;
	}
done:
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing data after the object");
		goto bad;
	}
	return 0;
bad:
	*err = ps.err ? ps.err : "malformed JSON";
	json_free(out);
	return -1;
}

void json_free(struct jobj *obj)
{
	for (size_t i = 0; i < obj->n; i++)
		free_field(&obj->f[i]);
	free(obj->f);
	obj->f = NULL;
	obj->n = 0;
}

const struct jfield *json_get(const struct jobj *obj, const char *key)
{
	for (size_t i = obj->n; i > 0; i--) {
		if (strcmp(obj->f[i - 1].key, key) == 0)
			return &obj->f[i - 1];
	}
	return NULL;
}
