/*
 * db: SQLite connections, statements and error mapping.
 *
 * SPDX-License-Identifier: MIT
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "invariant.h"
#include "mem.h"
#include "mount_info.h"

#define COLS                                                                   \
    "id, parent, name, type, mode, owner, grp, size, block_size, ctime, "      \
    "mtime, atime, ttl, ttl_action, pinned, nchildren, version, xattrs"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS inodes ("
    " id INTEGER PRIMARY KEY, parent INTEGER NOT NULL, name TEXT NOT NULL,"
    " type INTEGER NOT NULL, mode INTEGER NOT NULL, owner TEXT NOT NULL,"
    " grp TEXT NOT NULL, size INTEGER NOT NULL, block_size INTEGER NOT NULL,"
    " ctime INTEGER NOT NULL, mtime INTEGER NOT NULL, atime INTEGER NOT NULL,"
    " ttl INTEGER NOT NULL, ttl_action INTEGER NOT NULL,"
    " pinned INTEGER NOT NULL, nchildren INTEGER NOT NULL,"
    " version INTEGER NOT NULL, xattrs BLOB);"
    "CREATE UNIQUE INDEX IF NOT EXISTS inodes_edge ON inodes(parent, name);"
    /* Inodes with a TTL by the time they expire (Alluxio's rule: the TTL
     * counts from creation). Partial: costs nothing for the others. */
    "CREATE INDEX IF NOT EXISTS inodes_expiry ON inodes(ctime + ttl)"
    " WHERE ttl >= 0;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);"
    /* Cluster state, replicated like the namespace: the addresses of the
     * nodes, and the outcomes of recent writes by Idempotency-Key. */
    "CREATE TABLE IF NOT EXISTS nodes (id INTEGER PRIMARY KEY,"
    " http TEXT NOT NULL, raft TEXT NOT NULL);"
    /* An outcome keeps the inode the write answered with, as it was. */
    "CREATE TABLE IF NOT EXISTS idem (key TEXT PRIMARY KEY,"
    " fp INTEGER NOT NULL, ts INTEGER NOT NULL, rc INTEGER NOT NULL,"
    " errmsg TEXT NOT NULL, has_ino INTEGER NOT NULL,"
    " id INTEGER, parent INTEGER, name TEXT, type INTEGER, mode INTEGER,"
    " owner TEXT, grp TEXT, size INTEGER, block_size INTEGER, ctime INTEGER,"
    " mtime INTEGER, atime INTEGER, ttl INTEGER, ttl_action INTEGER,"
    " pinned INTEGER, nchildren INTEGER, version INTEGER, xattrs BLOB);"
    "CREATE INDEX IF NOT EXISTS idem_ts ON idem(ts, key);"
    /* The mount table (mount.h), replicated like the namespace. */
    "CREATE TABLE IF NOT EXISTS mounts (id INTEGER PRIMARY KEY,"
    " path TEXT NOT NULL UNIQUE, uri TEXT NOT NULL,"
    " read_only INTEGER NOT NULL, mounted INTEGER NOT NULL);";

enum stmt_id {
    S_GET,
    S_LOOKUP,
    S_LIST_FIRST,
    S_LIST_AFTER,
    S_BEGIN,
    S_COMMIT,
    S_PUT,
    S_DELETE,
    S_META_GET,
    S_META_SET,
    S_TRASH_PICK,
    S_CHILDREN,
    S_TO_TRASH,
    S_COUNT,
    S_COUNT_TYPE,
    S_EXPIRED,
    S_NODE_PUT,
    S_NODE_DEL,
    S_NODE_ALL,
    S_MOUNT_PUT,
    S_MOUNT_DEL,
    S_MOUNT_ALL,
    S_IDEM_GET,
    S_IDEM_PUT,
    S_IDEM_OLD,
    S_IDEM_TRIM,
    S_IDEM_COUNT,
    S_N,
};

static const char *const sql[S_N] = {
    [S_GET] = "SELECT " COLS " FROM inodes WHERE id = ?1",
    [S_LOOKUP] = "SELECT " COLS " FROM inodes WHERE parent = ?1 AND name = ?2",
    [S_LIST_FIRST] = "SELECT " COLS " FROM inodes WHERE parent = ?1 "
                     "ORDER BY name LIMIT ?2",
    [S_LIST_AFTER] = "SELECT " COLS " FROM inodes WHERE parent = ?1 AND "
                     "name > ?3 ORDER BY name LIMIT ?2",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    /* An upsert, not INSERT OR REPLACE: an existing row is updated in
     * place, so a parent whose counters change keeps its index entry
     * (REPLACE would delete and insert the row and its (parent, name)). */
    [S_PUT] = "INSERT INTO inodes (" COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
              "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
              "ON CONFLICT(id) DO UPDATE SET parent = ?2, name = ?3, "
              "type = ?4, mode = ?5, owner = ?6, grp = ?7, size = ?8, "
              "block_size = ?9, ctime = ?10, mtime = ?11, atime = ?12, "
              "ttl = ?13, ttl_action = ?14, pinned = ?15, nchildren = ?16, "
              "version = ?17, xattrs = ?18",
    [S_DELETE] = "DELETE FROM inodes WHERE id = ?1",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [S_TRASH_PICK] = "SELECT id FROM inodes WHERE parent = 0 AND id != 1 "
                     "LIMIT 1",
    [S_CHILDREN] = "SELECT id, type, nchildren FROM inodes WHERE parent = ?1 "
                   "LIMIT ?2",
    [S_TO_TRASH] = "UPDATE inodes SET parent = 0, name = CAST(id AS TEXT) "
                   "WHERE id = ?1",
    [S_COUNT] = "SELECT count(*) FROM inodes",
    [S_COUNT_TYPE] = "SELECT count(*) FROM inodes WHERE type = ?1",
    [S_EXPIRED] = "SELECT id FROM inodes WHERE ttl >= 0 AND ctime + ttl <= ?1 "
                  "AND parent != 0 ORDER BY ctime + ttl LIMIT ?2",
    [S_NODE_PUT] = "INSERT OR REPLACE INTO nodes (id, http, raft) "
                   "VALUES (?1, ?2, ?3)",
    [S_NODE_DEL] = "DELETE FROM nodes WHERE id = ?1",
    [S_NODE_ALL] = "SELECT id, http, raft FROM nodes ORDER BY id",
    [S_MOUNT_PUT] = "INSERT OR REPLACE INTO mounts (id, path, uri, read_only, "
                    "mounted) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_MOUNT_DEL] = "DELETE FROM mounts WHERE path = ?1",
    [S_MOUNT_ALL] = "SELECT id, path, uri, read_only, mounted FROM mounts "
                    "ORDER BY path",
    [S_IDEM_GET] = "SELECT " COLS ", fp, rc, errmsg, has_ino FROM idem "
                   "WHERE key = ?1",
    [S_IDEM_PUT] = "INSERT OR REPLACE INTO idem (" COLS ", key, fp, ts, rc, "
                   "errmsg, has_ino) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                   "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
                   "?21, ?22, ?23, ?24)",
    [S_IDEM_OLD] = "DELETE FROM idem WHERE ts < ?1",
    [S_IDEM_TRIM] = "DELETE FROM idem WHERE key IN (SELECT key FROM idem "
                    "ORDER BY ts, key LIMIT ?1)",
    [S_IDEM_COUNT] = "SELECT count(*) FROM idem",
};

struct db {
    sqlite3 *conn;
    bool writer;
    uint64_t wal_frames; /* writer: frames in the WAL after its last commit */
    sqlite3_stmt *st[S_N];
};

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BN_EBUSY;
    case SQLITE_FULL:
        return BN_ENOSPC;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return BN_ECORRUPT;
    case SQLITE_NOMEM:
        bn_panic("sqlite: out of memory"); /* fatal (STYLE 4) */
    default:
        return BN_EIO;
    }
}

static int fail(struct db *db, int rc, const char *what,
                char errmsg[BN_ERRMSG_SIZE])
{
    bn_errmsg_printf(errmsg, "sqlite: %s: %s", what,
                     db->conn != NULL ? sqlite3_errmsg(db->conn)
                                      : sqlite3_errstr(rc));
    return map_rc(rc);
}

static int wal_hook(void *arg, sqlite3 *conn, const char *name, int frames)
{
    struct db *db = arg;

    (void)conn;
    (void)name;
    db->wal_frames = frames > 0 ? (uint64_t)frames : 0;
    return SQLITE_OK;
}

uint64_t db_wal_frames(const struct db *db)
{
    return db->wal_frames;
}

int db_open(struct db **out, const char *path, enum db_role role,
            char errmsg[BN_ERRMSG_SIZE])
{
    struct db *db = bn_calloc(1, sizeof(*db));
    bool writer = role == DB_WRITER;
    int flags = role == DB_READER ? SQLITE_OPEN_READONLY
                                  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc;

    db->writer = writer;
    rc = sqlite3_open_v2(path, &db->conn, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = fail(db, rc, "open", errmsg);
        goto err_after_open;
    }
    (void)sqlite3_busy_timeout(db->conn, 5000);
    if (writer) {
        rc = sqlite3_exec(db->conn,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "PRAGMA wal_autocheckpoint=0;",
                          NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db->conn, schema, NULL, NULL, NULL);
        }
        if (rc != SQLITE_OK) {
            rc = fail(db, rc, "create schema", errmsg);
            goto err_after_open;
        }
        (void)sqlite3_wal_hook(db->conn, wal_hook, db);
    }
    if (role == DB_CHECKPOINTER) {
        *out = db; /* needs no statements */
        return 0;
    }
    (void)sqlite3_exec(db->conn, "PRAGMA cache_size=-8192;", NULL, NULL, NULL);
    for (int i = 0; i < S_N; i++) {
        rc = sqlite3_prepare_v3(db->conn, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &db->st[i], NULL);
        if (rc != SQLITE_OK) {
            rc = fail(db, rc, sql[i], errmsg);
            goto err_after_open;
        }
    }
    *out = db;
    return 0;

err_after_open:
    db_close(db);
    return rc;
}

void db_close(struct db *db)
{
    if (db == NULL) {
        return;
    }
    for (int i = 0; i < S_N; i++) {
        sqlite3_finalize(db->st[i]);
    }
    sqlite3_close(db->conn);
    free(db);
}

static char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    int len = sqlite3_column_bytes(s, i);

    return bn_strndup(t != NULL ? (const char *)t : "", (size_t)len);
}

static int read_row(sqlite3_stmt *s, struct inode *out)
{
    const void *blob;
    int len;

    memset(out, 0, sizeof(*out));
    out->id = (bn_ino)sqlite3_column_int64(s, 0);
    out->parent = (bn_ino)sqlite3_column_int64(s, 1);
    out->name = col_text(s, 2);
    out->type = sqlite3_column_int(s, 3);
    out->mode = (uint32_t)sqlite3_column_int(s, 4);
    out->owner = col_text(s, 5);
    out->group = col_text(s, 6);
    out->size = (uint64_t)sqlite3_column_int64(s, 7);
    out->block_size = (uint64_t)sqlite3_column_int64(s, 8);
    out->ctime_ms = sqlite3_column_int64(s, 9);
    out->mtime_ms = sqlite3_column_int64(s, 10);
    out->atime_ms = sqlite3_column_int64(s, 11);
    out->ttl_ms = sqlite3_column_int64(s, 12);
    out->ttl_action = sqlite3_column_int(s, 13);
    out->pinned = sqlite3_column_int(s, 14) != 0;
    out->nchildren = (uint64_t)sqlite3_column_int64(s, 15);
    out->version = (uint64_t)sqlite3_column_int64(s, 16);
    blob = sqlite3_column_blob(s, 17);
    len = sqlite3_column_bytes(s, 17);
    if (blob != NULL && len > 0) {
        if (inode_xattrs_decode(out, blob, (size_t)len) != 0) {
            inode_clear(out);
            return BN_ECORRUPT;
        }
    }
    return 0;
}

/* Step a statement expected to return at most one row into @out. */
static int step_one(struct db *db, sqlite3_stmt *s, struct inode *out,
                    const char *what, char errmsg[BN_ERRMSG_SIZE])
{
    int rc = sqlite3_step(s);

    if (rc == SQLITE_ROW) {
        rc = read_row(s, out);
        if (rc != 0) {
            bn_errmsg_printf(errmsg, "sqlite: %s: bad xattrs blob", what);
        }
    } else if (rc == SQLITE_DONE) {
        rc = BN_ENOTFOUND;
        bn_errmsg_printf(errmsg, "%s", bn_err_text(BN_ENOTFOUND));
    } else {
        rc = fail(db, rc, what, errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int db_get(struct db *db, bn_ino ino, struct inode *out,
           char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_GET];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)ino);
    return step_one(db, s, out, "get", errmsg);
}

int db_lookup(struct db *db, bn_ino parent, const char *name, struct inode *out,
              char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_LOOKUP];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)parent);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    return step_one(db, s, out, "lookup", errmsg);
}

int db_list(struct db *db, bn_ino parent, const char *after, size_t limit,
            struct inode **out, size_t *n, bool *more,
            char errmsg[BN_ERRMSG_SIZE])
{
    bool first = after == NULL || after[0] == '\0';
    sqlite3_stmt *s = db->st[first ? S_LIST_FIRST : S_LIST_AFTER];
    struct inode *v = bn_calloc(limit + 1, sizeof(*v));
    size_t k = 0;
    int rc;

    sqlite3_bind_int64(s, 1, (sqlite3_int64)parent);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit + 1);
    if (!first) {
        sqlite3_bind_text(s, 3, after, -1, SQLITE_STATIC);
    }
    *more = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (k == limit) {
            *more = true;
            break;
        }
        rc = read_row(s, &v[k]);
        if (rc != 0) {
            bn_errmsg_printf(errmsg, "sqlite: list: bad xattrs blob");
            goto err;
        }
        k++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = fail(db, rc, "list", errmsg);
        goto err;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    *out = v;
    *n = k;
    return 0;

err:
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (size_t i = 0; i < k; i++) {
        inode_clear(&v[i]);
    }
    free(v);
    return rc;
}

/* Step a statement that returns no row. */
static int exec_stmt(struct db *db, sqlite3_stmt *s, const char *what,
                     char errmsg[BN_ERRMSG_SIZE])
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        return fail(db, rc, what, errmsg);
    }
    return 0;
}

int db_begin(struct db *db, char errmsg[BN_ERRMSG_SIZE])
{
    assert(db->writer);
    return exec_stmt(db, db->st[S_BEGIN], "begin", errmsg);
}

int db_commit(struct db *db, char errmsg[BN_ERRMSG_SIZE])
{
    assert(db->writer);
    return exec_stmt(db, db->st[S_COMMIT], "commit", errmsg);
}

/* Bind @ino to parameters 1..18 of @s (the order of COLS). Returns the
 * encoded xattrs, which must live until the statement ran (free()). */
static unsigned char *bind_inode(sqlite3_stmt *s, const struct inode *ino)
{
    size_t xlen = 0;
    unsigned char *x = inode_xattrs_encode(ino, &xlen);

    sqlite3_bind_int64(s, 1, (sqlite3_int64)ino->id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)ino->parent);
    sqlite3_bind_text(s, 3, ino->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, ino->type);
    sqlite3_bind_int(s, 5, (int)ino->mode);
    sqlite3_bind_text(s, 6, ino->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, ino->group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)ino->size);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)ino->block_size);
    sqlite3_bind_int64(s, 10, ino->ctime_ms);
    sqlite3_bind_int64(s, 11, ino->mtime_ms);
    sqlite3_bind_int64(s, 12, ino->atime_ms);
    sqlite3_bind_int64(s, 13, ino->ttl_ms);
    sqlite3_bind_int(s, 14, ino->ttl_action);
    sqlite3_bind_int(s, 15, ino->pinned ? 1 : 0);
    sqlite3_bind_int64(s, 16, (sqlite3_int64)ino->nchildren);
    sqlite3_bind_int64(s, 17, (sqlite3_int64)ino->version);
    if (x != NULL) {
        sqlite3_bind_blob(s, 18, x, (int)xlen, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, 18);
    }
    return x;
}

int db_put(struct db *db, const struct inode *ino, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_PUT];
    unsigned char *x = bind_inode(s, ino);
    int rc = exec_stmt(db, s, "put", errmsg);

    free(x);
    return rc;
}

int db_delete(struct db *db, bn_ino ino, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_DELETE];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)ino);
    return exec_stmt(db, s, "delete", errmsg);
}

int db_meta_get(struct db *db, const char *key, uint64_t *value,
                char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_META_GET];
    int rc;

    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *value = (uint64_t)sqlite3_column_int64(s, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        *value = 0;
        rc = 0;
    } else {
        rc = fail(db, rc, "meta get", errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int db_meta_set(struct db *db, const char *key, uint64_t value,
                char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_META_SET];

    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)value);
    return exec_stmt(db, s, "meta set", errmsg);
}

int db_sync(struct db *db, char errmsg[BN_ERRMSG_SIZE])
{
    int rc = sqlite3_wal_checkpoint_v2(db->conn, NULL,
                                       SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    if (rc == SQLITE_BUSY) {
        bn_errmsg_printf(errmsg, "checkpoint: another one is running");
        return BN_EBUSY;
    }
    if (rc != SQLITE_OK) {
        return fail(db, rc, "checkpoint", errmsg);
    }
    return 0;
}

int db_trash_pick(struct db *db, bn_ino *ino, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_TRASH_PICK];
    int rc = sqlite3_step(s);

    *ino = 0;
    if (rc == SQLITE_ROW) {
        *ino = (bn_ino)sqlite3_column_int64(s, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = fail(db, rc, "trash pick", errmsg);
    }
    sqlite3_reset(s);
    return rc;
}

int db_children(struct db *db, bn_ino parent, unsigned max, bn_ino *ids,
                int *types, uint64_t *nchildren, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_CHILDREN];
    int n = 0;
    int rc;

    sqlite3_bind_int64(s, 1, (sqlite3_int64)parent);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ids[n] = (bn_ino)sqlite3_column_int64(s, 0);
        types[n] = sqlite3_column_int(s, 1);
        nchildren[n] = (uint64_t)sqlite3_column_int64(s, 2);
        n++;
    }
    if (rc != SQLITE_DONE) {
        n = fail(db, rc, "children", errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return n;
}

int db_expired(struct db *db, int64_t now_ms, unsigned max, bn_ino *ids,
               char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_EXPIRED];
    int n = 0;
    int rc;

    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ids[n++] = (bn_ino)sqlite3_column_int64(s, 0);
    }
    if (rc != SQLITE_DONE) {
        n = fail(db, rc, "expired", errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return n;
}

int db_move_to_trash(struct db *db, bn_ino ino, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_TO_TRASH];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)ino);
    return exec_stmt(db, s, "move to trash", errmsg);
}

int db_count(struct db *db, uint64_t *n, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_COUNT];
    int rc = sqlite3_step(s);

    if (rc == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = fail(db, rc, "count", errmsg);
    }
    sqlite3_reset(s);
    return rc;
}

int db_count_type(struct db *db, int type, uint64_t *n,
                  char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_COUNT_TYPE];
    int rc;

    sqlite3_bind_int(s, 1, type);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = fail(db, rc, "count by type", errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

/* Run a query whose first column is a count of violations (0 = fine). */
static int check_zero(struct db *db, const char *q, const char *what,
                      char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = NULL;
    sqlite3_int64 bad = 0;
    int rc = sqlite3_prepare_v2(db->conn, q, -1, &s, NULL);

    if (rc != SQLITE_OK) {
        return fail(db, rc, what, errmsg);
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        bad = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = fail(db, rc, what, errmsg);
    }
    sqlite3_finalize(s);
    if (rc == 0 && bad != 0) {
        bn_errmsg_printf(errmsg, "check: %s: %lld violations", what,
                         (long long)bad);
        rc = BN_ECORRUPT;
    }
    return rc;
}

int db_check(struct db *db, char errmsg[BN_ERRMSG_SIZE])
{
    static const struct {
        const char *what;
        const char *q;
    } checks[] = {
        {"root is a directory with parent 0",
         "SELECT count(*) = 0 FROM inodes WHERE id = 1 AND parent = 0 AND "
         "type = 1 AND name = ''"},
        {"parent exists and is a directory",
         "SELECT count(*) FROM inodes c LEFT JOIN inodes p ON p.id = c.parent "
         "WHERE c.parent != 0 AND (p.id IS NULL OR p.type != 1)"},
        {"names unique per parent",
         "SELECT count(*) FROM (SELECT parent, name FROM inodes GROUP BY "
         "parent, name HAVING count(*) > 1)"},
        {"no cycles: every inode reachable from the root or the trash",
         "WITH RECURSIVE r(id) AS (SELECT id FROM inodes WHERE parent = 0 "
         "UNION SELECT i.id FROM inodes i JOIN r ON i.parent = r.id) "
         "SELECT (SELECT count(*) FROM inodes) - (SELECT count(*) FROM r)"},
        {"nchildren agrees with the rows",
         "WITH RECURSIVE r(id) AS (SELECT 1 UNION SELECT i.id FROM inodes i "
         "JOIN r ON i.parent = r.id) SELECT count(*) FROM inodes p JOIN r ON "
         "r.id = p.id WHERE p.type = 1 AND p.nchildren != (SELECT count(*) "
         "FROM inodes c WHERE c.parent = p.id)"},
        {"files have no children",
         "SELECT count(*) FROM inodes WHERE type != 1 AND nchildren != 0"},
    };
    int rc;

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        rc = check_zero(db, checks[i].q, checks[i].what, errmsg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- cluster state ------------------------------------------------------ */

int db_node_put(struct db *db, uint64_t id, const char *http, const char *raft,
                char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_NODE_PUT];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    sqlite3_bind_text(s, 2, http, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, raft, -1, SQLITE_STATIC);
    return exec_stmt(db, s, "node put", errmsg);
}

int db_node_del(struct db *db, uint64_t id, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_NODE_DEL];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    return exec_stmt(db, s, "node delete", errmsg);
}

int db_node_each(struct db *db,
                 void (*fn)(void *arg, uint64_t id, const char *http,
                            const char *raft),
                 void *arg, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_NODE_ALL];
    int rc;

    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *http = (const char *)sqlite3_column_text(s, 1);
        const char *raft = (const char *)sqlite3_column_text(s, 2);

        fn(arg, (uint64_t)sqlite3_column_int64(s, 0), http != NULL ? http : "",
           raft != NULL ? raft : "");
    }
    rc = rc == SQLITE_DONE ? 0 : fail(db, rc, "nodes", errmsg);
    sqlite3_reset(s);
    return rc;
}

int db_mount_put(struct db *db, const struct mount_info *m,
                 char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_MOUNT_PUT];

    sqlite3_bind_int64(s, 1, (sqlite3_int64)m->id);
    sqlite3_bind_text(s, 2, m->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, m->uri, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, m->read_only ? 1 : 0);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)m->mounted_ms);
    return exec_stmt(db, s, "mount put", errmsg);
}

int db_mount_del(struct db *db, const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_MOUNT_DEL];

    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    return exec_stmt(db, s, "mount del", errmsg);
}

int db_mount_each(struct db *db,
                  void (*fn)(void *arg, const struct mount_info *m), void *arg,
                  char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_MOUNT_ALL];
    int rc;

    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(s, 1);
        const char *uri = (const char *)sqlite3_column_text(s, 2);
        struct mount_info m = {
            .id = (uint64_t)sqlite3_column_int64(s, 0),
            .path = (char *)(path != NULL ? path : ""),
            .uri = (char *)(uri != NULL ? uri : ""),
            .read_only = sqlite3_column_int(s, 3) != 0,
            .mounted_ms = sqlite3_column_int64(s, 4),
        };

        fn(arg, &m);
    }
    rc = rc == SQLITE_DONE ? 0 : fail(db, rc, "mounts", errmsg);
    sqlite3_reset(s);
    return rc;
}

int db_idem_get(struct db *db, const char *key, struct db_idem *out,
                char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_IDEM_GET];
    int rc;

    memset(out, 0, sizeof(*out));
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(s, 20);

        out->fp = (uint64_t)sqlite3_column_int64(s, 18);
        out->rc = sqlite3_column_int(s, 19);
        bn_errmsg_printf(out->errmsg, "%s", msg != NULL ? msg : "");
        out->has_ino = sqlite3_column_int(s, 21) != 0;
        rc = out->has_ino ? read_row(s, &out->ino) : 0;
        if (rc != 0) {
            bn_errmsg_printf(errmsg, "idempotency get: bad inode of '%.64s'",
                             key);
        }
    } else if (rc == SQLITE_DONE) {
        rc = BN_ENOTFOUND;
    } else {
        rc = fail(db, rc, "idempotency get", errmsg);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int db_idem_put(struct db *db, const char *key, int64_t ts,
                const struct db_idem *rec, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_IDEM_PUT];
    unsigned char *x = NULL;
    int rc;

    if (rec->has_ino) {
        x = bind_inode(s, &rec->ino);
    }
    sqlite3_bind_text(s, 19, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 20, (sqlite3_int64)rec->fp);
    sqlite3_bind_int64(s, 21, (sqlite3_int64)ts);
    sqlite3_bind_int(s, 22, rec->rc);
    sqlite3_bind_text(s, 23, rec->errmsg, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 24, rec->has_ino ? 1 : 0);
    rc = exec_stmt(db, s, "idempotency put", errmsg);
    free(x);
    return rc;
}

int db_idem_expire(struct db *db, int64_t before, uint64_t keep,
                   char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = db->st[S_IDEM_OLD];
    uint64_t n = 0;
    int rc;

    sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
    rc = exec_stmt(db, s, "idempotency expire", errmsg);
    if (rc != 0) {
        return rc;
    }
    s = db->st[S_IDEM_COUNT];
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        n = (uint64_t)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = fail(db, rc, "idempotency count", errmsg);
    }
    sqlite3_reset(s);
    if (rc != 0 || n <= keep) {
        return rc;
    }
    s = db->st[S_IDEM_TRIM];
    sqlite3_bind_int64(s, 1, (sqlite3_int64)(n - keep));
    return exec_stmt(db, s, "idempotency trim", errmsg);
}

/* A 64-bit mix of one value into a row hash (splitmix64's finaliser after
 * an FNV-style combine). */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t f = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++) {
        f = (f ^ b[i]) * 0x100000001b3ULL;
    }
    return mix(mix(h, n), f);
}

int db_checksum(struct db *db, struct db_checksum *out,
                char errmsg[BN_ERRMSG_SIZE])
{
    /* The live namespace only: the rows reachable from the root. Trashed
     * subtrees are reclaimed at each node's own pace, so they are not
     * part of the replicated state. Rows hash one by one and the hashes
     * add up, so no sort is needed whatever the size. */
    static const char q[] =
        "WITH RECURSIVE live(id) AS (SELECT 1 UNION ALL SELECT i.id FROM "
        "inodes i JOIN live ON i.parent = live.id) "
        "SELECT " COLS " FROM inodes JOIN live USING (id)";
    sqlite3_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqlite3_exec(db->conn, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return fail(db, rc, "checksum begin", errmsg);
    }
    rc = db_meta_get(db, "applied_index", &out->applied_index, errmsg);
    if (rc != 0) {
        goto out;
    }
    rc = sqlite3_prepare_v2(db->conn, q, -1, &s, NULL);
    if (rc != SQLITE_OK) {
        rc = fail(db, rc, "checksum", errmsg);
        goto out;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t h = 0;

        for (int c = 0; c < sqlite3_column_count(s); c++) {
            if (sqlite3_column_type(s, c) == SQLITE_INTEGER) {
                h = mix(h, (uint64_t)sqlite3_column_int64(s, c));
            } else {
                const void *b = sqlite3_column_blob(s, c);
                int n = sqlite3_column_bytes(s, c);

                h = mix_bytes(h, b, n > 0 ? (size_t)n : 0);
            }
        }
        out->sum += h;
        out->inodes++;
        if (sqlite3_column_int(s, 3) == INODE_DIR) {
            out->directories++;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : fail(db, rc, "checksum", errmsg);
out:
    sqlite3_finalize(s);
    (void)sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int db_backup(struct db *db, const char *dest, char errmsg[BN_ERRMSG_SIZE])
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->conn, "VACUUM INTO ?1", -1, &s, NULL);

    if (rc != SQLITE_OK) {
        return fail(db, rc, "backup", errmsg);
    }
    sqlite3_bind_text(s, 1, dest, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    rc = rc == SQLITE_DONE ? 0 : fail(db, rc, "backup", errmsg);
    sqlite3_finalize(s);
    return rc;
}

int db_verify(const char *path, uint64_t *applied, char errmsg[BN_ERRMSG_SIZE])
{
    struct db *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = db_open(&db, path, DB_READER, errmsg);

    if (rc != 0) {
        return rc;
    }
    rc = sqlite3_prepare_v2(db->conn, "PRAGMA quick_check", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW &&
            strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0) {
            rc = 0;
        } else if (rc == SQLITE_ROW) {
            bn_errmsg_printf(errmsg, "sqlite: quick_check: %s",
                             (const char *)sqlite3_column_text(s, 0));
            rc = BN_ECORRUPT;
        } else {
            rc = fail(db, rc, "quick_check", errmsg);
        }
    } else {
        rc = fail(db, rc, "quick_check", errmsg);
    }
    sqlite3_finalize(s);
    if (rc == 0) {
        rc = db_meta_get(db, "applied_index", applied, errmsg);
    }
    db_close(db);
    return rc;
}
