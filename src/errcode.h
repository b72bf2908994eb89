/*
 * errcode: the one table of banyan's error codes.
 *
 * Every fallible function in src/ returns 0 or a negative BN_E* value from
 * this table. The table is the single source for the enum, the stable
 * machine-readable name (the problem+json "code"), the HTTP status that the
 * API answers with, and a default human text.
 *
 * Adding a code? Update openapi.yaml (components/schemas/Problem/code enum)
 * and tests/golden/errors.json in the same commit; test_errcode checks it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_ERRCODE_H
#define BANYAN_SRC_ERRCODE_H

/* ALWAYS/NEVER and bn_assert, which every module that reports errors
 * uses, live in invariant.h. */
#include "invariant.h"

#include <stdbool.h>

#define BN_ERRMSG_SIZE 256

/* X(enum, value, name, http status, text) */
#define BN_ERR_MAP(X)                                                          \
    X(BN_ENOTFOUND, -1, "not_found", 404, "no such file or directory")         \
    X(BN_EEXIST, -2, "already_exists", 409, "file exists")                     \
    X(BN_ENOTDIR, -3, "not_a_directory", 409, "not a directory")               \
    X(BN_EISDIR, -4, "is_a_directory", 409, "is a directory")                  \
    X(BN_ENOTEMPTY, -5, "directory_not_empty", 409, "directory not empty")     \
    X(BN_EINVALPATH, -6, "invalid_path", 400, "invalid path")                  \
    X(BN_EINVAL, -7, "invalid_argument", 400, "invalid argument")              \
    X(BN_EPRECOND, -8, "precondition_failed", 412, "precondition failed")      \
    X(BN_ETOOLARGE, -9, "payload_too_large", 413, "payload too large")         \
    X(BN_EMETHOD, -10, "method_not_allowed", 405, "method not allowed")        \
    X(BN_EMEDIATYPE, -11, "unsupported_media_type", 415,                       \
      "unsupported media type")                                                \
    X(BN_EUNAVAIL, -12, "unavailable", 503, "service unavailable")             \
    X(BN_EINTERNAL, -13, "internal", 500, "internal error")                    \
    X(BN_EBUSY, -14, "busy", 503, "resource busy, retry")                      \
    X(BN_EIO, -15, "io_error", 500, "input/output error")                      \
    X(BN_ENOSPC, -16, "no_space", 507, "no space left on the store")           \
    X(BN_ECORRUPT, -17, "corrupt", 500, "store is corrupt")                    \
    X(BN_ENOTLEADER, -18, "not_leader", 307, "this node is not the leader")    \
    X(BN_ECONFLICT, -19, "conflict", 409, "conflict")                          \
    X(BN_EREADONLY, -20, "read_only", 403, "the mount is read-only")           \
    X(BN_ECROSSMOUNT, -21, "cross_mount", 400, "rename between two mounts")    \
    X(BN_EMOUNT, -22, "mount_conflict", 409,                                   \
      "the mount conflicts with a mount or the namespace")                     \
    X(BN_ENOTMOUNT, -23, "not_a_mount_point", 400, "not a mount point")        \
    X(BN_EUFS, -24, "ufs_error", 502, "the under storage failed")

enum bn_err {
#define BN_ERR_ENUM(e, v, name, status, text) e = v,
    BN_ERR_MAP(BN_ERR_ENUM)
#undef BN_ERR_ENUM
};

/* The codes that are fatal for a replica when apply meets them: the store
 * failed, so the state of this node no longer follows the log, and the
 * node must stop (fsm.c panics) instead of recording an outcome that
 * another replica would not reach. Every other code is the deterministic
 * outcome of a command. The one list: ns.c, fsm.c and the contract of
 * ns_apply() read it from here. */
#define BN_ERR_APPLY_FATAL(X)                                                  \
    X(BN_EIO)                                                                  \
    X(BN_ENOSPC)                                                               \
    X(BN_ECORRUPT)                                                             \
    X(BN_EBUSY)

/* Number of codes in the table. */
#define BN_ERR_COUNT 24

/* The stable name of @rc ("not_found"), or "internal" for an unknown code.
 * Any thread. */
const char *bn_err_name(int rc);

/* The HTTP status for @rc, 500 for an unknown code. Any thread. */
int bn_err_status(int rc);

/* The default text for @rc. Any thread. */
const char *bn_err_text(int rc);

/* The code whose stable name is @name, or 0 when there is none. Any thread. */
int bn_err_from_name(const char *name);

/* Whether @rc is one of BN_ERR_APPLY_FATAL. Any thread. */
bool bn_err_apply_fatal(int rc);

/* Write "prefix: errmsg" into @errmsg in place, so each layer can wrap the
 * text of the layer below ("rename /a to /b: store: database is full").
 * Any thread. */
void bn_errmsg_wrapf(char errmsg[BN_ERRMSG_SIZE], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set @errmsg from a format. Any thread. */
void bn_errmsg_printf(char errmsg[BN_ERRMSG_SIZE], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* BANYAN_SRC_ERRCODE_H */
