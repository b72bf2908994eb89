/*
 * fsutil: small helpers for the daemon's own files (not the namespace).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_FSUTIL_H
#define BANYAN_SRC_FSUTIL_H

/* Create @dir and its missing parents with mode 0750, like `mkdir -p`.
 * Returns 0, or -1 with errno set. Any thread. */
int fs_mkdir_p(const char *dir);

#endif /* BANYAN_SRC_FSUTIL_H */
