/* One directory entry as `list` and `stat` report it. */
#ifndef UVM_AGENT_ENTRY_H
#define UVM_AGENT_ENTRY_H

#include <sys/stat.h>

#include "jsonw.h"

const char *entry_type(mode_t mode);

/* Writes name/type/size/mode (+ rdev for devices, + target for symlinks, read relative to
 * dirfd) as fields of the currently open object. */
void entry_fields(struct jw *w, const char *name, const struct stat *st, int dirfd, const char *relpath);

#endif
