/*
 * path: parse and normalise namespace paths (pure functions, fuzzed).
 *
 * A valid path is absolute, '/'-separated, valid UTF-8 with no control
 * characters, has no empty, "." or ".." segments, no segment longer than
 * PATH_NAME_MAX bytes, is at most PATH_LEN_MAX bytes and PATH_DEPTH_MAX
 * segments deep. One trailing '/' is accepted and dropped ("/a/" is "/a").
 * Percent-decoding is the caller's job (api/ decodes exactly once); the
 * parser sees raw bytes with their length, so an embedded NUL is rejected.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_PATH_H
#define BANYAN_SRC_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "errcode.h"

#define PATH_NAME_MAX  255
#define PATH_LEN_MAX   4096
#define PATH_DEPTH_MAX 512

struct path {
    char *norm; /* normalised path, "/" for the root; owned */
    size_t n;   /* number of segments; 0 for the root */
    char **seg; /* n NUL-terminated segments; owned */
};

/* Parse @len bytes at @raw into @out. Returns 0, or BN_EINVALPATH with a
 * reason in @errmsg ("segment 3 is '..'"). On success free with
 * path_clear(). Any thread. */
int path_parse(const char *raw, size_t len, struct path *out,
               char errmsg[BN_ERRMSG_SIZE]);

/* Check one name (a single segment) by the same rules. Returns 0 or
 * BN_EINVALPATH. Any thread. */
int path_check_name(const char *name, size_t len, char errmsg[BN_ERRMSG_SIZE]);

/* Release what path_parse() allocated; path_clear() of a zeroed struct does
 * nothing. Any thread. */
void path_clear(struct path *p);

/* Copy @src into @dst. Free with path_clear(). Any thread. */
void path_copy(struct path *dst, const struct path *src);

/* The last segment, or "" for the root. Borrowed from @p. Any thread. */
const char *path_basename(const struct path *p);

/* Whether @a is @b or an ancestor of @b ("/a" of "/a/b", not of "/ab").
 * Any thread. */
bool path_is_prefix(const struct path *a, const struct path *b);

#endif /* BANYAN_SRC_PATH_H */
