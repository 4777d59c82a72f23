/* The protocol's operations. Each writes its result fields into res (an open JSON object) and
 * returns 0, or returns -1 with r->err set; on failure anything written to res is discarded. */
#ifndef UVM_AGENT_OPS_H
#define UVM_AGENT_OPS_H

#include "args.h"
#include "jsonw.h"

#define PROTOCOL_VERSION 1

int op_hello(const struct req *r, struct jw *res);
int op_list(const struct req *r, struct jw *res);
int op_stat(const struct req *r, struct jw *res);
int op_mounts(const struct req *r, struct jw *res);
int op_write_file(const struct req *r, struct jw *res);
int op_read_file(const struct req *r, struct jw *res);
int op_mount_scsi(const struct req *r, struct jw *res);
int op_format_if_blank(const struct req *r, struct jw *res);
int op_mount_pmem(const struct req *r, struct jw *res);
int op_unmount(const struct req *r, struct jw *res);
int op_scsi_unplug(const struct req *r, struct jw *res);
int op_overlay(const struct req *r, struct jw *res);

/* Seconds since boot from /proc/uptime (0 when unreadable). */
double uptime_seconds(void);

/* The mke2fs that format_if_blank runs; the image puts it at /sbin/mke2fs. */
extern const char *agent_mke2fs_path;

#endif
