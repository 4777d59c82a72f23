/* Small file-system helpers for the mount ops. */
#ifndef UVM_AGENT_FSUTIL_H
#define UVM_AGENT_FSUTIL_H

#include <stdbool.h>

/* mkdir -p with mode 0755. Returns 0 (and *created_leaf when the last component is new) or -1
 * with errno; an existing non-directory is ENOTDIR. */
int mkdir_p(const char *path, bool *created_leaf);

struct ext4_probe {
	bool is_ext;            /* magic 0xEF53 at byte 1080 */
	unsigned block_size;    /* 1024 << s_log_block_size, when is_ext */
};

/* Reads the ext2/3/4 superblock of a device or image; -1 with errno when unreadable. */
int ext4_probe(const char *dev, struct ext4_probe *out);

#endif
