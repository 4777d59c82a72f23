/* Host-side unit tests for the parts of the agent that handle untrusted bytes: framing, the JSON
 * reader and writer, base64, argument checks and the response envelopes. TAP-style output;
 * exit status 1 when anything failed. Run with `make test`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "base64.h"
#include "dispatch.h"
#include "frame.h"
#include "json.h"
#include "jsonw.h"
#include "oerr.h"

static int failures;
static int checks;
static const char *current;

#define CHECK(cond)                                                                                \
	do {                                                                                           \
		checks++;                                                                                  \
		if (!(cond)) {                                                                             \
			failures++;                                                                            \
			printf("not ok - %s: %s (line %d)\n", current, #cond, __LINE__);                       \
		}                                                                                          \
	} while (0)

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                           \
		checks++;                                                                                  \
		const char *g_ = (got), *w_ = (want);                                                      \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                                                   \
			failures++;                                                                            \
			printf("not ok - %s: got '%s', want '%s' (line %d)\n", current, g_ ? g_ : "(null)",   \
			       w_, __LINE__);                                                                  \
		}                                                                                          \
	} while (0)

static void begin(const char *name)
{
	current = name;
}

static void end(int failures_before)
{
	printf("%s - %s\n", failures == failures_before ? "ok" : "not ok", current);
}

#define TEST(name) static void name(void)
#define RUN(name)                                                                                  \
	do {                                                                                           \
		int before_ = failures;                                                                    \
		begin(#name);                                                                              \
		name();                                                                                    \
		end(before_);                                                                              \
	} while (0)

/* ---- framing ---- */

TEST(frame_header_is_big_endian)
{
	uint8_t h[4];
	frame_encode_len(0x01020304, h);
	CHECK(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4);
	CHECK(frame_decode_len(h) == 0x01020304);
	frame_encode_len(FRAME_MAX, h);
	CHECK(frame_decode_len(h) == (1u << 20));
}

TEST(frame_round_trip_over_a_socket)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(frame_write(sv[0], "{\"id\":1}", 8) == 0);
	CHECK(frame_write(sv[0], "", 0) == 0);
	char *p;
	uint32_t len;
	CHECK(frame_read(sv[1], &p, &len) == FRAME_OK);
	CHECK(len == 8 && p != NULL && strcmp(p, "{\"id\":1}") == 0);
	free(p);
	CHECK(frame_read(sv[1], &p, &len) == FRAME_OK);
	CHECK(len == 0 && p != NULL && p[0] == '\0');
	free(p);
	close(sv[0]);
	CHECK(frame_read(sv[1], &p, &len) == FRAME_EOF);
	close(sv[1]);
}

TEST(frame_arriving_in_pieces_is_reassembled)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	const char bytes[] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
	/* One byte per write: a virtio port or socket may split a frame anywhere. */
	for (size_t i = 0; i < sizeof bytes; i++)
		CHECK(write(sv[0], &bytes[i], 1) == 1);
	char *p;
	uint32_t len;
	CHECK(frame_read(sv[1], &p, &len) == FRAME_OK);
	CHECK(len == 5 && memcmp(p, "hello", 5) == 0);
	free(p);
	close(sv[0]);
	close(sv[1]);
}

TEST(oversized_frame_is_skipped_and_the_next_one_read)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	uint32_t big = FRAME_MAX + 10;
	pid_t pid = fork();
	if (pid == 0) {
		/* The writer must run concurrently: the body is larger than a socket buffer. */
		uint8_t h[4];
		frame_encode_len(big, h);
		if (write(sv[0], h, 4) != 4)
			_exit(1);
		char *body = calloc(1, big);
		size_t done = 0;
		while (done < big) {
			ssize_t w = write(sv[0], body + done, big - done);
			if (w <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(frame_write(sv[0], "{}", 2) == 0 ? 0 : 1);
	}
	char *p;
	uint32_t len;
	CHECK(frame_read(sv[1], &p, &len) == FRAME_TOO_BIG);
	CHECK(len == big && p == NULL);
	CHECK(frame_read(sv[1], &p, &len) == FRAME_OK);
	CHECK(len == 2 && p != NULL && strcmp(p, "{}") == 0);
	free(p);
	close(sv[0]);
	close(sv[1]);
}

TEST(eof_mid_frame_is_eof)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	const char part[] = {0, 0, 0, 10, 'a', 'b'};
	CHECK(write(sv[0], part, sizeof part) == (ssize_t)sizeof part);
	close(sv[0]);
	char *p;
	uint32_t len;
	CHECK(frame_read(sv[1], &p, &len) == FRAME_EOF);
	CHECK(p == NULL);
	close(sv[1]);
}

TEST(frame_write_refuses_over_limit)
{
	errno = 0;
	CHECK(frame_write(-1, "", FRAME_MAX + 1) == -1 && errno == EMSGSIZE);
}

/* ---- JSON reader ---- */

static int parse(const char *text, struct jobj *o, const char **err)
{
	return json_parse_object(text, strlen(text), o, err);
}

TEST(json_reads_flat_request)
{
	struct jobj o;
	const char *err = NULL;
	const char *text = " {\"id\":7,\"op\":\"mount_scsi\",\"readOnly\":true,\"rw\":false,\"x\":null,"
	                   "\"lun\":-3,\"big\":12345678901234,\"f\":1.5,\"e\":2e3,"
	                   "\"options\":[\"ro\",\"noatime\"],\"empty\":[]} ";
	CHECK(parse(text, &o, &err) == 0);
	const struct jfield *f;
	CHECK((f = json_get(&o, "id")) && f->type == J_INT && f->i == 7);
	CHECK((f = json_get(&o, "op")) && f->type == J_STR && strcmp(f->str.s, "mount_scsi") == 0);
	CHECK((f = json_get(&o, "readOnly")) && f->type == J_BOOL && f->b);
	CHECK((f = json_get(&o, "rw")) && f->type == J_BOOL && !f->b);
	CHECK((f = json_get(&o, "x")) && f->type == J_NULL);
	CHECK((f = json_get(&o, "lun")) && f->type == J_INT && f->i == -3);
	CHECK((f = json_get(&o, "big")) && f->type == J_INT && f->i == 12345678901234LL);
	CHECK((f = json_get(&o, "f")) && f->type == J_NUM && f->d == 1.5);
	CHECK((f = json_get(&o, "e")) && f->type == J_NUM && f->d == 2000);
	CHECK((f = json_get(&o, "options")) && f->type == J_STRARR && f->n == 2 &&
	      strcmp(f->arr[1].s, "noatime") == 0);
	CHECK((f = json_get(&o, "empty")) && f->type == J_STRARR && f->n == 0);
	CHECK(json_get(&o, "missing") == NULL);
	json_free(&o);
}

TEST(json_decodes_escapes_to_utf8)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"p\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"}", &o, &err) == 0);
	const struct jfield *f = json_get(&o, "p");
	CHECK(f && strcmp(f->str.s, "a\"b\\c/d\n\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == 0);
	json_free(&o);
	/* Raw UTF-8 passes through untouched. */
	CHECK(parse("{\"p\":\"/layers/\xC3\xA9t\xC3\xA9\"}", &o, &err) == 0);
	CHECK(strcmp(json_get(&o, "p")->str.s, "/layers/\xC3\xA9t\xC3\xA9") == 0);
	json_free(&o);
}

TEST(json_keeps_nul_escape_visible_by_length)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"p\":\"/a\\u0000b\"}", &o, &err) == 0);
	const struct jfield *f = json_get(&o, "p");
	CHECK(f && f->str.len == 4 && strlen(f->str.s) == 2);
	json_free(&o);
}

TEST(json_skips_nested_values_and_mixed_arrays)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"a\":{\"b\":[1,{\"c\":\"}\"}]},\"m\":[\"x\",1],\"n\":[[\"y\"]],\"id\":2}", &o, &err) == 0);
	CHECK(json_get(&o, "a")->type == J_OTHER);
	CHECK(json_get(&o, "m")->type == J_OTHER);
	CHECK(json_get(&o, "n")->type == J_OTHER);
	CHECK(json_get(&o, "id")->i == 2);
	json_free(&o);
}

TEST(json_repeated_key_last_wins)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"id\":1,\"id\":2}", &o, &err) == 0);
	CHECK(json_get(&o, "id")->i == 2);
	json_free(&o);
}

TEST(json_integer_overflow_becomes_number)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"n\":99999999999999999999}", &o, &err) == 0);
	CHECK(json_get(&o, "n")->type == J_NUM);
	json_free(&o);
}

TEST(json_rejects_malformed_input)
{
	static const char *bad[] = {
		"", "[]", "\"x\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{a:1}",
		"{\"a\":tru}", "{\"a\":\"unterminated}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}", "{\"a\":\"tab\there\"}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}",
		"{\"a\":1e}", "{\"a\":[\"x\",]}", "{\"a\":[\"x\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct jobj o;
		const char *err = NULL;
		int rc = parse(bad[i], &o, &err);
		if (rc == 0) {
			printf("# accepted malformed input %zu: %s\n", i, bad[i]);
			json_free(&o);
		}
		CHECK(rc == -1 && err != NULL && o.n == 0);
	}
}

TEST(json_parses_input_without_terminator)
{
	/* Frames are not NUL-terminated from the parser's point of view: it must honour len. */
	const char text[] = "{\"id\":1}{\"id\":2}";
	struct jobj o;
	const char *err = NULL;
	CHECK(json_parse_object(text, 8, &o, &err) == 0);
	CHECK(json_get(&o, "id")->i == 1);
	json_free(&o);
}

/* ---- JSON writer ---- */

TEST(writer_manages_commas_and_nesting)
{
	struct jw w;
	jw_init(&w);
	jw_obj_open(&w);
	jw_key(&w, "a");
	jw_int(&w, -1);
	jw_key(&w, "b");
	jw_arr_open(&w);
	jw_uint(&w, 1);
	jw_bool(&w, true);
	jw_obj_open(&w);
	jw_key(&w, "c");
	jw_str(&w, "d");
	jw_obj_close(&w);
	jw_arr_open(&w);
	jw_arr_close(&w);
	jw_arr_close(&w);
	jw_key(&w, "e");
	jw_fixed2(&w, 3.14159);
	jw_key(&w, "f");
	jw_raw(&w, "{\"g\":1}", 7);
	jw_obj_close(&w);
	CHECK_STR(w.buf, "{\"a\":-1,\"b\":[1,true,{\"c\":\"d\"},[]],\"e\":3.14,\"f\":{\"g\":1}}");
	jw_free(&w);
}

TEST(writer_escapes_and_repairs_utf8)
{
	struct jw w;
	jw_init(&w);
	jw_strn(&w, "q\"b\\\n\x01\x7f", 7);
	CHECK_STR(w.buf, "\"q\\\"b\\\\\\u000a\\u0001\x7f\"");
	jw_reset(&w);
	jw_str(&w, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	CHECK_STR(w.buf, "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
	jw_reset(&w);
	/* Latin-1 byte, truncated sequence, overlong '/', encoded surrogate: each becomes U+FFFD. */
	jw_str(&w, "a\xE9z\xE2\x82");
	CHECK_STR(w.buf, "\"a\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\"");
	jw_reset(&w);
	jw_str(&w, "\xC0\xAF\xED\xA0\x80");
	CHECK_STR(w.buf, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
	jw_free(&w);
}

TEST(writer_output_reads_back)
{
	struct jw w;
	jw_init(&w);
	jw_obj_open(&w);
	jw_key(&w, "name");
	jw_str(&w, "tab\there \"quoted\" \xC3\xA9");
	jw_obj_close(&w);
	struct jobj o;
	const char *err = NULL;
	CHECK(json_parse_object(w.buf, w.len, &o, &err) == 0);
	CHECK(o.n == 1 && strcmp(json_get(&o, "name")->str.s, "tab\there \"quoted\" \xC3\xA9") == 0);
	json_free(&o);
	jw_free(&w);
}

/* ---- base64 ---- */

TEST(base64_rfc4648_vectors)
{
	static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char out[16];
		base64_encode((const unsigned char *)plain[i], strlen(plain[i]), out);
		CHECK_STR(out, enc[i]);
		CHECK(base64_encoded_len(strlen(plain[i])) == strlen(enc[i]));
		unsigned char back[16];
		long n = base64_decode(enc[i], strlen(enc[i]), back);
		CHECK(n == (long)strlen(plain[i]) && memcmp(back, plain[i], (size_t)n) == 0);
	}
}

TEST(base64_binary_round_trip_and_unpadded)
{
	unsigned char all[256], back[260];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	char text[400];
	base64_encode(all, 256, text);
	CHECK(base64_decode(text, strlen(text), back) == 256 && memcmp(all, back, 256) == 0);
	CHECK(base64_decode("Zm8", 3, back) == 2 && memcmp(back, "fo", 2) == 0);
}

TEST(base64_rejects_garbage)
{
	unsigned char out[16];
	CHECK(base64_decode("Zm9v!", 5, out) == -1);
	CHECK(base64_decode("Z", 1, out) == -1);
	CHECK(base64_decode("Zg=", 3, out) == -1);
	CHECK(base64_decode("Z===", 4, out) == -1);
	CHECK(base64_decode("Zg==Zg==", 8, out) == -1);
	CHECK(base64_decode("Zm 9v", 5, out) == -1);
}

/* ---- errors and arguments ---- */

TEST(errors_carry_what_path_and_strerror)
{
	struct oerr e;
	CHECK(oerr_set(&e, ENOENT, "stat %s", "/nope") == -1);
	CHECK(e.errnum == ENOENT);
	char want[256];
	snprintf(want, sizeof want, "stat /nope: %s", strerror(ENOENT));
	CHECK_STR(e.msg, want);
	char buf[16];
	CHECK_STR(errno_name(ENOENT, buf), "ENOENT");
	CHECK_STR(errno_name(ETIMEDOUT, buf), "ETIMEDOUT");
	CHECK_STR(errno_name(4095, buf), "E4095");
}

TEST(arguments_are_typed_and_named)
{
	struct jobj o;
	const char *err = NULL;
	CHECK(parse("{\"path\":\"rel\",\"abs\":\"/x\",\"n\":5,\"s\":\"5\",\"b\":1,\"arr\":[\"a\"],"
	            "\"nul\":\"/a\\u0000\"}", &o, &err) == 0);
	struct oerr e;
	struct req r = {&o, "demo", &e};
	const char *p;
	long long v;
	bool b;
	const struct jstr *arr;
	size_t n;
	CHECK(arg_path(&r, "abs", &p) == 0 && strcmp(p, "/x") == 0);
	CHECK(arg_path(&r, "path", &p) == -1 && e.errnum == EINVAL && strstr(e.msg, "absolute") != NULL);
	CHECK(arg_path(&r, "nul", &p) == -1 && strstr(e.msg, "NUL") != NULL);
	CHECK(arg_path(&r, "none", &p) == -1 && strstr(e.msg, "demo: missing argument 'none'") == e.msg);
	CHECK(arg_int(&r, "n", true, 0, 0, 10, &v) == 0 && v == 5);
	CHECK(arg_int(&r, "n", true, 0, 6, 10, &v) == -1 && strstr(e.msg, "outside") != NULL);
	CHECK(arg_int(&r, "s", true, 0, 0, 10, &v) == -1 && strstr(e.msg, "must be an integer") != NULL);
	CHECK(arg_int(&r, "none", false, 42, 0, 100, &v) == 0 && v == 42);
	CHECK(arg_int(&r, "none", true, 42, 0, 100, &v) == -1);
	CHECK(arg_bool(&r, "none", true, &b) == 0 && b);
	CHECK(arg_bool(&r, "b", true, &b) == -1 && strstr(e.msg, "boolean") != NULL);
	CHECK(arg_strings(&r, "arr", true, &arr, &n) == 0 && n == 1);
	CHECK(arg_strings(&r, "s", true, &arr, &n) == -1);
	CHECK(arg_strings(&r, "none", false, &arr, &n) == 0 && n == 0);
	json_free(&o);
}

/* ---- envelopes ---- */

static bool dispatch_text(const char *text, struct jw *out)
{
	return dispatch_request(text, strlen(text), out);
}

TEST(envelopes_for_bad_requests)
{
	struct jw w;
	jw_init(&w);
	dispatch_text("not json", &w);
	CHECK(strstr(w.buf, "{\"id\":0,\"ok\":false,\"error\":{\"errno\":") == w.buf);
	CHECK(strstr(w.buf, "\"code\":\"EBADMSG\"") != NULL);
	dispatch_text("{\"op\":\"hello\"}", &w);
	CHECK(strstr(w.buf, "{\"id\":0,\"ok\":false") == w.buf && strstr(w.buf, "EINVAL") != NULL);
	dispatch_text("{\"id\":-4,\"op\":\"hello\"}", &w);
	CHECK(strstr(w.buf, "{\"id\":0,\"ok\":false") == w.buf);
	dispatch_text("{\"id\":9,\"op\":\"exec\",\"cmd\":\"sh\"}", &w);
	CHECK(strstr(w.buf, "{\"id\":9,\"ok\":false") == w.buf && strstr(w.buf, "\"code\":\"ENOSYS\"") != NULL &&
	      strstr(w.buf, "unknown op 'exec'") != NULL);
	dispatch_text("{\"id\":10}", &w);
	CHECK(strstr(w.buf, "{\"id\":10,\"ok\":false") == w.buf);
	dispatch_oversized(FRAME_MAX + 1, &w);
	CHECK(strstr(w.buf, "{\"id\":0,\"ok\":false") == w.buf && strstr(w.buf, "EMSGSIZE") != NULL);
	jw_free(&w);
}

TEST(envelopes_for_success_and_op_errors)
{
	struct jw w;
	jw_init(&w);
	CHECK(dispatch_text("{\"id\":3,\"op\":\"hello\"}", &w));
	CHECK(strstr(w.buf, "{\"id\":3,\"ok\":true,\"result\":{\"version\":1,\"uptime\":") == w.buf);
	CHECK(!dispatch_text("{\"id\":4,\"op\":\"stat\",\"path\":\"/definitely/not/here\"}", &w));
	CHECK(strstr(w.buf, "{\"id\":4,\"ok\":false,\"error\":{\"errno\":2,\"code\":\"ENOENT\","
	                    "\"message\":\"stat /definitely/not/here: ") == w.buf);
	dispatch_ready_event(&w);
	CHECK(strstr(w.buf, "{\"event\":\"ready\",\"version\":1,\"uptime\":") == w.buf);
	jw_free(&w);
}

int main(void)
{
	RUN(frame_header_is_big_endian);
	RUN(frame_round_trip_over_a_socket);
	RUN(frame_arriving_in_pieces_is_reassembled);
	RUN(oversized_frame_is_skipped_and_the_next_one_read);
	RUN(eof_mid_frame_is_eof);
	RUN(frame_write_refuses_over_limit);
	RUN(json_reads_flat_request);
	RUN(json_decodes_escapes_to_utf8);
	RUN(json_keeps_nul_escape_visible_by_length);
	RUN(json_skips_nested_values_and_mixed_arrays);
	RUN(json_repeated_key_last_wins);
	RUN(json_integer_overflow_becomes_number);
	RUN(json_rejects_malformed_input);
	RUN(json_parses_input_without_terminator);
	RUN(writer_manages_commas_and_nesting);
	RUN(writer_escapes_and_repairs_utf8);
	RUN(writer_output_reads_back);
	RUN(base64_rfc4648_vectors);
	RUN(base64_binary_round_trip_and_unpadded);
	RUN(base64_rejects_garbage);
	RUN(errors_carry_what_path_and_strerror);
	RUN(arguments_are_typed_and_named);
	RUN(envelopes_for_bad_requests);
	RUN(envelopes_for_success_and_op_errors);
	printf("# %d checks, %d failed\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
