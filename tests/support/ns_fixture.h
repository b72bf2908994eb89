/*
 * ns_fixture: a store + namespace in a temporary directory, and a helper
 * that applies commands the way the raft loop does (one batch, one
 * transaction, one commit). For unit and stress tests.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_TESTS_NS_FIXTURE_H
#define BANYAN_TESTS_NS_FIXTURE_H

#include <stdint.h>

#include "cmd.h"
#include "ns.h"
#include "store.h"

struct ns_fixture {
    char dir[256];
    char db[300];
    struct store *st;
    struct ns *ns;
    uint64_t index; /* last raft index used */
};

/* Create a temp dir and open a store with @cache_bytes over it. */
void fixture_open(struct ns_fixture *fx, uint64_t cache_bytes);

/* Close and reopen the store (restart). */
void fixture_reopen(struct ns_fixture *fx, uint64_t cache_bytes);

/* cmocka group hooks: a new fixture with a 1 MiB cache in *state; and its
 * end, which fails (returns nonzero) when the store's invariants do not
 * hold, then closes and frees it. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* Close and remove the temp dir. */
void fixture_close(struct ns_fixture *fx);

/* Apply @c (takes ownership) as the next raft index at @now_ms; returns the
 * result's rc and, when @res is not NULL, the result (free with
 * cmd_result_free()). */
int fixture_apply(struct ns_fixture *fx, struct cmd *c, int64_t now_ms,
                  struct cmd_result **res);

/* Shorthands. */
struct cmd *fixture_create(const char *path, int type, bool recursive);
struct cmd *fixture_rename(const char *from, const char *to);
struct cmd *fixture_delete(const char *path, bool recursive);

/* ns_stat of a path string; returns rc and fills *out when 0. */
int fixture_stat(struct ns_fixture *fx, const char *path, struct inode *out);

#endif /* BANYAN_TESTS_NS_FIXTURE_H */
