/* Request dispatch; see dispatch.h. */
#include "dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "json.h"
#include "oerr.h"
#include "ops.h"

static const struct {
	const char *name;
	int (*fn)(const struct req *, struct jw *);
} OPS[] = {
	{"hello", op_hello},
	{"mount_scsi", op_mount_scsi},
	{"format_if_blank", op_format_if_blank},
	{"mount_pmem", op_mount_pmem},
	{"unmount", op_unmount},
	{"scsi_unplug", op_scsi_unplug},
	{"overlay", op_overlay},
	{"list", op_list},
	{"stat", op_stat},
	{"mounts", op_mounts},
	{"write_file", op_write_file},
	{"read_file", op_read_file},
};

void dispatch_error(struct jw *out, long long id, int errnum, const char *message)
{
	char namebuf[16];
	jw_reset(out);
	jw_obj_open(out);
	jw_key(out, "id");
	jw_int(out, id);
	jw_key(out, "ok");
	jw_bool(out, false);
	jw_key(out, "error");
	jw_obj_open(out);
	jw_key(out, "errno");
	jw_int(out, errnum);
	jw_key(out, "code");
	jw_str(out, errno_name(errnum, namebuf));
	jw_key(out, "message");
	jw_str(out, message);
	jw_obj_close(out);
	jw_obj_close(out);
}

static void fail(struct jw *out, long long id, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct jw *out, long long id, int errnum, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	struct oerr e;
	oerr_set(&e, errnum, "%s", what);
	dispatch_error(out, id, e.errnum, e.msg);
}

void dispatch_oversized(uint32_t len, struct jw *out)
{
	struct oerr e;
	oerr_set(&e, EMSGSIZE, "frame of %u bytes exceeds the %u-byte limit and was skipped", len, FRAME_MAX);
	dispatch_error(out, 0, e.errnum, e.msg);
}

void dispatch_ready_event(struct jw *out)
{
	jw_reset(out);
	jw_obj_open(out);
	jw_key(out, "event");
	jw_str(out, "ready");
	jw_key(out, "version");
	jw_int(out, PROTOCOL_VERSION);
	jw_key(out, "uptime");
	jw_fixed2(out, uptime_seconds());
	jw_obj_close(out);
}

bool dispatch_request(const char *text, size_t len, struct jw *out)
{
	struct jobj obj;
	const char *why = NULL;
	if (json_parse_object(text, len, &obj, &why) != 0) {
		fail(out, 0, EBADMSG, "malformed request frame: %s", why);
		return false;
	}
	const struct jfield *idf = json_get(&obj, "id");
	if (idf == NULL || idf->type != J_INT || idf->i <= 0) {
		fail(out, 0, EINVAL, "request without a positive integer 'id'");
		json_free(&obj);
		return false;
	}
	long long id = idf->i;
	const struct jfield *opf = json_get(&obj, "op");
	if (opf == NULL || opf->type != J_STR) {
		fail(out, id, EINVAL, "request without a string 'op'");
		json_free(&obj);
		return false;
	}
	int (*fn)(const struct req *, struct jw *) = NULL;
	for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
		if (strcmp(OPS[i].name, opf->str.s) == 0)
			fn = OPS[i].fn;
	}
	if (fn == NULL) {
		fail(out, id, ENOSYS, "unknown op '%s'", opf->str.s);
		json_free(&obj);
		return false;
	}
	struct oerr err = {0, ""};
	struct req r = {&obj, opf->str.s, &err};
	struct jw result;
	jw_init(&result);
	jw_obj_open(&result);
	int rc = fn(&r, &result);
	jw_obj_close(&result);
	if (rc != 0) {
		dispatch_error(out, id, err.errnum ? err.errnum : EIO, err.msg[0] ? err.msg : "operation failed");
	} else if (result.oom) {
		fail(out, id, ENOMEM, "%s: building the result", r.op);
	} else {
		jw_reset(out);
		jw_obj_open(out);
		jw_key(out, "id");
		jw_int(out, id);
		jw_key(out, "ok");
		jw_bool(out, true);
		jw_key(out, "result");
		jw_raw(out, result.buf, result.len);
		jw_obj_close(out);
		/* A result the host could not accept (a huge directory) is an error, not a bad frame. */
		if (out->len > FRAME_MAX) {
			struct oerr e;
			oerr_set(&e, EMSGSIZE, "%s: result of %zu bytes exceeds the %u-byte frame limit", r.op,
			         out->len, FRAME_MAX);
			dispatch_error(out, id, e.errnum, e.msg);
		}
	}
	bool hello = rc == 0 && fn == op_hello;
	jw_free(&result);
	json_free(&obj);
	return hello;
}
