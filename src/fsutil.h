/*
 * fsutil: small helpers for the daemon's own files (not the namespace).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_FSUTIL_H
#define BANYAN_SRC_FSUTIL_H

#include <stddef.h>

/* Create @dir and its missing parents with mode 0750, like `mkdir -p`.
 * Returns 0, or -1 with errno set. Any thread. */
int fs_mkdir_p(const char *dir);

/* Take the lock file @dir/LOCK for the life of the process (flock), and
 * write this process's pid in it. Returns the open descriptor (left open
 * on purpose), or -1 with the reason in @errmsg, naming the pid that holds
 * it when another process does. Any thread. */
int fs_lock_dir(const char *dir, char *errmsg, size_t errmsg_size);

#endif /* BANYAN_SRC_FSUTIL_H */
