/* A minimal JSON reader for the agent's requests: one flat object whose values are strings,
 * numbers, booleans, null or arrays of strings. Other nested values are accepted and skipped, so
 * a newer host may add fields without breaking an older agent. */
#ifndef UVM_AGENT_JSON_H
#define UVM_AGENT_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_INT, J_NUM, J_STR, J_STRARR, J_OTHER };

/* Decoded string: UTF-8 bytes, NUL-terminated; len excludes the NUL (a \u0000 makes len differ
 * from strlen, which path arguments reject). */
struct jstr {
	char *s;
	size_t len;
};

struct jfield {
	char *key;
	enum jtype type;
	bool b;            /* J_BOOL */
	long long i;       /* J_INT: an integer literal that fits in 64 bits */
	double d;          /* J_INT and J_NUM */
	struct jstr str;   /* J_STR */
	struct jstr *arr;  /* J_STRARR */
	size_t n;          /* J_STRARR element count */
};

struct jobj {
	struct jfield *f;
	size_t n;
};

/* Parses exactly one object (surrounding whitespace allowed). 0 on success; -1 with *err set to
 * a static description on malformed input. Frees nothing on failure: out is left empty. */
int json_parse_object(const char *text, size_t len, struct jobj *out, const char **err);
void json_free(struct jobj *obj);

/* The field named key (the last one if repeated, as JSON.parse does), or NULL. */
const struct jfield *json_get(const struct jobj *obj, const char *key);

#endif
