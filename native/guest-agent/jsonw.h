/* A small JSON writer: objects, arrays, strings, integers, booleans, with commas managed for the
 * caller. Strings are emitted as valid UTF-8 whatever the input bytes (file names need not be). */
#ifndef UVM_AGENT_JSONW_H
#define UVM_AGENT_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool after_key;
	bool oom;                         /* an allocation failed; the text is unusable */
	bool first[JW_MAX_DEPTH + 1];
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_int(struct jw *w, long long v);
void jw_uint(struct jw *w, unsigned long long v);
void jw_bool(struct jw *w, bool v);
void jw_fixed2(struct jw *w, double v);  /* a number with two decimals (uptime) */
/* Appends already-valid JSON text as one value (used to splice a finished result). */
void jw_raw(struct jw *w, const char *json, size_t len);

/* Writes s as a JSON string body (no quotes) with UTF-8 repair; exposed for tests. */
void jw_escape(struct jw *w, const char *s, size_t len);

#endif
