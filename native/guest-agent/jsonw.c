/* JSON writer; see jsonw.h. */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof *w);
	w->first[0] = true;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

void jw_reset(struct jw *w)
{
	char *buf = w->buf;
	size_t cap = w->cap;
	jw_init(w);
	w->buf = buf;
	w->cap = cap;
	if (buf != NULL)
		buf[0] = '\0';
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *grown = realloc(w->buf, cap);
		if (grown == NULL) {
			w->oom = true;
			return;
		}
		w->buf = grown;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct jw *w, char c)
{
	put(w, &c, 1);
}

/* Commas: a value after a key needs none; any other value or key needs one unless first. */
static void before_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		putc1(w, ',');
	w->first[w->depth] = false;
}

static void open_container(struct jw *w, char c)
{
	before_value(w);
	putc1(w, c);
	if (w->depth < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_container(struct jw *w, char c)
{
	putc1(w, c);
	if (w->depth > 0)
		w->depth--;
}

void jw_obj_open(struct jw *w) { open_container(w, '{'); }
void jw_obj_close(struct jw *w) { close_container(w, '}'); }
void jw_arr_open(struct jw *w) { open_container(w, '['); }
void jw_arr_close(struct jw *w) { close_container(w, ']'); }

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates and values above U+10FFFF count as invalid). */
static size_t utf8_valid(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	return n;
}

void jw_escape(struct jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			put(w, esc, 2);
			i++;
		} else if (c < 0x20) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(w, esc, 6);
			i++;
		} else if (c < 0x80) {
			size_t run = i;
			while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
				run++;
			put(w, s + i, run - i);
			i = run;
		} else {
			size_t n = utf8_valid(p + i, len - i);
			if (n == 0) {
				/* A name that is not UTF-8 is shown with U+FFFD rather than breaking the frame. */
				put(w, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				put(w, s + i, n);
				i += n;
			}
		}
	}
}

void jw_key(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		putc1(w, ',');
	w->first[w->depth] = false;
	putc1(w, '"');
	jw_escape(w, key, strlen(key));
	put(w, "\":", 2);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t len)
{
	before_value(w);
	putc1(w, '"');
	jw_escape(w, s, len);
	putc1(w, '"');
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%lld", v);
	before_value(w);
	put(w, tmp, (size_t)n);
}

void jw_uint(struct jw *w, unsigned long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", v);
	before_value(w);
	put(w, tmp, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
	before_value(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_fixed2(struct jw *w, double v)
{
	char tmp[48];
	if (!(v == v) || v > 1e15 || v < -1e15)
		v = 0; /* NaN or infinity are not JSON */
	int n = snprintf(tmp, sizeof tmp, "%.2f", v);
	before_value(w);
	put(w, tmp, (size_t)n);
}

void jw_raw(struct jw *w, const char *json, size_t len)
{
	before_value(w);
	put(w, json, len);
}
