/*
 * datadir: the daemon's data directory (not the namespace): making it and
 * holding it, so that one daemon at a time uses a store and its raft log.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_DATADIR_H
#define BANYAN_SRC_DATADIR_H

#include <stddef.h>

/* Create @dir and its missing parents with mode 0750, like `mkdir -p`.
 * Returns 0, or -1 with errno set. Any thread. */
int datadir_mkdir_p(const char *dir);

/* Take the lock file @dir/LOCK for the life of the process (flock), and
 * write this process's pid in it. Returns the open descriptor (left open
 * on purpose), or -1 with the reason in @errmsg, naming the pid that holds
 * it when another process does. Any thread. */
int datadir_lock(const char *dir, char *errmsg, size_t errmsg_size);

#endif /* BANYAN_SRC_DATADIR_H */
