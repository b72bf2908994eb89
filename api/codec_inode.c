/*
 * codec_inode: inodes and listings to JSON (written with jsonw, without
 * jansson trees: the hot path of stats and listings), and the create,
 * set-attribute and rename bodies into commands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../src/mem.h"
#include "codec_int.h"
#include "jsonw.h"

void codec_etag(const struct inode *ino, char out[48])
{
    (void)snprintf(out, 48, "\"%" PRIu64 "-%" PRIu64 "\"", (uint64_t)ino->id,
                   ino->version);
}

/* mount_id, ufs_path and persisted of an inode under a mount. */
static void mount_write(struct jsonw *w, const struct mount_view *mv)
{
    if (mv == NULL || mv->mount_id == 0) {
        return;
    }
    jsonw_lit(w, ",\"mount_id\":");
    jsonw_u64(w, codec__clamp(mv->mount_id));
    jsonw_lit(w, ",\"ufs_path\":");
    jsonw_str(w, mv->ufs_path != NULL ? mv->ufs_path : "");
    jsonw_lit(w,
              mv->persisted ? ",\"persisted\":true" : ",\"persisted\":false");
}

/* One inode's status object, in the member order of openapi.yaml. */
static void inode_write(struct jsonw *w, const struct inode *ino,
                        const char *path, const struct mount_view *mv)
{
    char mode[8];
    char etag[48];

    inode_mode_format(ino->mode, mode);
    codec_etag(ino, etag);
    jsonw_lit(w, "{\"id\":");
    jsonw_u64(w, codec__clamp(ino->id));
    jsonw_lit(w, ",\"name\":");
    jsonw_str(w, ino->name);
    jsonw_lit(w, ",\"path\":");
    jsonw_str(w, path);
    jsonw_lit(w, ino->type == INODE_DIR ? ",\"type\":\"directory\""
                                        : ",\"type\":\"file\"");
    jsonw_lit(w, ",\"size\":");
    jsonw_u64(w, codec__clamp(ino->size));
    jsonw_lit(w, ",\"block_size\":");
    jsonw_u64(w, codec__clamp(ino->block_size));
    jsonw_lit(w, ",\"mode\":");
    jsonw_str(w, mode);
    jsonw_lit(w, ",\"owner\":");
    jsonw_str(w, ino->owner);
    jsonw_lit(w, ",\"group\":");
    jsonw_str(w, ino->group);
    jsonw_lit(w, ",\"ctime\":");
    jsonw_i64(w, ino->ctime_ms);
    jsonw_lit(w, ",\"mtime\":");
    jsonw_i64(w, ino->mtime_ms);
    jsonw_lit(w, ",\"atime\":");
    jsonw_i64(w, ino->atime_ms);
    jsonw_lit(w, ",\"ttl\":");
    if (ino->ttl_ms < 0) {
        jsonw_lit(w, "null");
    } else {
        jsonw_i64(w, ino->ttl_ms);
    }
    jsonw_lit(w, ino->ttl_action == INODE_TTL_FREE
                     ? ",\"ttl_action\":\"free\""
                     : ",\"ttl_action\":\"delete\"");
    jsonw_lit(w, ino->pinned ? ",\"pinned\":true" : ",\"pinned\":false");
    jsonw_lit(w, ",\"xattrs\":{");
    for (size_t i = 0; i < ino->n_xattrs; i++) {
        if (i > 0) {
            jsonw_raw(w, ",", 1);
        }
        jsonw_str(w, ino->xattrs[i].key);
        jsonw_raw(w, ":", 1);
        jsonw_str(w, ino->xattrs[i].value);
    }
    jsonw_raw(w, "}", 1);
    if (ino->type == INODE_DIR) {
        jsonw_lit(w, ",\"children\":");
        jsonw_u64(w, codec__clamp(ino->nchildren));
    }
    jsonw_lit(w, ",\"version\":");
    jsonw_u64(w, codec__clamp(ino->version));
    jsonw_lit(w, ",\"etag\":");
    jsonw_str(w, etag);
    mount_write(w, mv);
    jsonw_raw(w, "}", 1);
}

char *codec_inode_to_json(const struct inode *ino, const char *path,
                          const struct mount_view *mv, size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 512);
    inode_write(&w, ino, path, mv);
    return jsonw_finish(&w, len);
}

char *codec_page_to_json(const char *path, const struct inode *entries,
                         size_t n, bool more, const struct mount_view *mv,
                         size_t *len)
{
    struct jsonw w;
    size_t plen = strlen(path);
    size_t base = strcmp(path, "/") == 0 ? 0 : plen;
    size_t cap = base + 2 + PATH_NAME_MAX + 1;
    char *child = bn_malloc(cap);

    jsonw_init(&w, 256 + n * 384);
    jsonw_lit(&w, "{\"path\":");
    jsonw_str(&w, path);
    jsonw_lit(&w, ",\"entries\":[");
    for (size_t i = 0; i < n; i++) {
        const struct inode *e = &entries[i];
        const char *name = e->name != NULL ? e->name : "";
        size_t nlen = strlen(name);

        if (base + 1 + nlen + 1 > cap) {
            cap = base + 1 + nlen + 1;
            child = bn_realloc(child, cap);
        }
        memcpy(child, path, base);
        child[base] = '/';
        memcpy(child + base + 1, name, nlen + 1);
        if (i > 0) {
            jsonw_raw(&w, ",", 1);
        }
        inode_write(&w, e, child, mv != NULL ? &mv[i] : NULL);
    }
    free(child);
    jsonw_lit(&w, "],\"next\":");
    if (more && n > 0) {
        jsonw_str(&w, entries[n - 1].name);
    } else {
        jsonw_lit(&w, "null");
    }
    jsonw_raw(&w, "}", 1);
    return jsonw_finish(&w, len);
}

/* ---- decoding -------------------------------------------------------- */

/* The fields a body may carry; each body kind lists the ones it takes. */
enum field {
    FLD_TYPE,
    FLD_MODE,
    FLD_OWNER,
    FLD_GROUP,
    FLD_RECURSIVE,
    FLD_SIZE,
    FLD_BLOCK_SIZE,
    FLD_MTIME,
    FLD_TTL,
    FLD_TTL_ACTION,
    FLD_PINNED,
    FLD_XATTRS,
};

struct field_row {
    const char *name;
    int field; /* enum field */
};

static const struct field_row create_fields[] = {
    {"type", FLD_TYPE},
    {"mode", FLD_MODE},
    {"owner", FLD_OWNER},
    {"group", FLD_GROUP},
    {"recursive", FLD_RECURSIVE},
    {"size", FLD_SIZE},
    {"block_size", FLD_BLOCK_SIZE},
    {"ttl", FLD_TTL},
    {"ttl_action", FLD_TTL_ACTION},
    {"pinned", FLD_PINNED},
    {"xattrs", FLD_XATTRS},
    {NULL, 0},
};

static const struct field_row setattr_fields[] = {
    {"mode", FLD_MODE},     {"owner", FLD_OWNER},
    {"group", FLD_GROUP},   {"mtime", FLD_MTIME},
    {"ttl", FLD_TTL},       {"ttl_action", FLD_TTL_ACTION},
    {"pinned", FLD_PINNED}, {"size", FLD_SIZE},
    {"xattrs", FLD_XATTRS}, {NULL, 0},
};

/* Parse @body into a JSON object. Returns 0 and *out (json_decref() it), or
 * an error with the reason. */
static int get_u64(json_t *v, const char *name, uint64_t *out,
                   char errmsg[BN_ERRMSG_SIZE])
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return codec__field_error(errmsg, name,
                                  "must be a non-negative integer");
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_name(json_t *v, const char *name, char **out,
                    char errmsg[BN_ERRMSG_SIZE])
{
    const char *s;
    size_t len;

    if (!json_is_string(v)) {
        return codec__field_error(errmsg, name, "must be a string");
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > INODE_OWNER_MAX) {
        return codec__field_error(errmsg, name, "must be 1 to 255 bytes");
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f) {
            return codec__field_error(errmsg, name,
                                      "must not hold control characters");
        }
    }
    free(*out);
    *out = bn_strndup(s, len);
    return 0;
}

/* The attributes of a create or a setattr. */
static struct op_attr *attr_of(struct cmd *c)
{
    return c->op == OP_CREATE ? &c->u.create.attr : &c->u.setattr;
}

static int get_xattrs(json_t *v, const char *name, bool allow_null,
                      struct cmd *c, char errmsg[BN_ERRMSG_SIZE])
{
    struct op_attr *a = attr_of(c);
    const char *key;
    json_t *val;
    size_t n;

    if (!json_is_object(v)) {
        return codec__field_error(errmsg, name, "must be an object of strings");
    }
    n = json_object_size(v);
    if (n > INODE_XATTR_MAX) {
        return codec__field_error(errmsg, name, "more than 64 attributes");
    }
    a->xattrs = bn_calloc(n, sizeof(*a->xattrs));
    a->n_xattrs = 0;
    json_object_foreach(v, key, val)
    {
        struct xattr *xa = &a->xattrs[a->n_xattrs];
        size_t klen = strlen(key);

        if (klen == 0 || klen > INODE_XATTR_KEY_MAX) {
            return codec__field_error(errmsg, name,
                                      "a key must be 1 to 255 bytes");
        }
        if (json_is_null(val) && allow_null) {
            xa->key = bn_strndup(key, klen);
            xa->value = NULL;
            a->n_xattrs++;
            continue;
        }
        if (!json_is_string(val)) {
            bn_errmsg_printf(errmsg, "field '%s.%.*s': must be a string%s",
                             name, FIELD_QUOTE_MAX, key,
                             allow_null ? " or null" : "");
            return BN_EINVAL;
        }
        if (json_string_length(val) > INODE_XATTR_VALUE_MAX) {
            bn_errmsg_printf(errmsg, "field '%s.%.*s': more than 4096 bytes",
                             name, FIELD_QUOTE_MAX, key);
            return BN_EINVAL;
        }
        xa->key = bn_strndup(key, klen);
        xa->value = bn_strndup(json_string_value(val), json_string_length(val));
        a->n_xattrs++;
    }
    c->flags |= CMD_F_XATTRS;
    return 0;
}

/* Decode field @f (@name, value @v) into @c. */
static int decode_field(int f, const char *name, json_t *v, bool patch,
                        struct cmd *c, char errmsg[BN_ERRMSG_SIZE])
{
    struct op_attr *a = attr_of(c);
    const char *s;
    int rc = 0;

    if (json_is_null(v) && f != FLD_TTL) {
        return codec__field_error(errmsg, name, "must not be null");
    }
    switch (f) {
    case FLD_TYPE:
        s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "directory") == 0) {
            c->u.create.type = INODE_DIR;
        } else if (strcmp(s, "file") == 0) {
            c->u.create.type = INODE_FILE;
        } else {
            return codec__field_error(errmsg, name,
                                      "must be \"directory\" or \"file\"");
        }
        break;
    case FLD_MODE:
        if (!json_is_string(v) ||
            inode_mode_parse(json_string_value(v), &a->mode) != 0) {
            return codec__field_error(errmsg, name,
                                      "must be an octal string like \"0755\"");
        }
        c->flags |= CMD_F_MODE;
        break;
    case FLD_OWNER:
        rc = get_name(v, name, &a->owner, errmsg);
        c->flags |= CMD_F_OWNER;
        break;
    case FLD_GROUP:
        rc = get_name(v, name, &a->group, errmsg);
        c->flags |= CMD_F_GROUP;
        break;
    case FLD_RECURSIVE:
        if (!json_is_boolean(v)) {
            return codec__field_error(errmsg, name, "must be true or false");
        }
        if (json_is_true(v)) {
            c->flags |= CMD_F_RECURSIVE;
        }
        break;
    case FLD_SIZE:
        rc = get_u64(v, name, &a->size, errmsg);
        c->flags |= CMD_F_SIZE;
        break;
    case FLD_BLOCK_SIZE:
        rc = get_u64(v, name, &a->block_size, errmsg);
        c->flags |= CMD_F_BLOCK_SIZE;
        break;
    case FLD_MTIME:
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            return codec__field_error(errmsg, name,
                                      "must be milliseconds since the epoch");
        }
        a->mtime_ms = json_integer_value(v);
        c->flags |= CMD_F_MTIME;
        break;
    case FLD_TTL:
        if (json_is_null(v)) {
            a->ttl_ms = -1;
        } else if (json_is_integer(v) && json_integer_value(v) >= 0) {
            a->ttl_ms = json_integer_value(v);
        } else {
            return codec__field_error(errmsg, name,
                                      "must be milliseconds (>= 0) or null");
        }
        c->flags |= CMD_F_TTL;
        break;
    case FLD_TTL_ACTION:
        s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "delete") == 0) {
            a->ttl_action = INODE_TTL_DELETE;
        } else if (strcmp(s, "free") == 0) {
            a->ttl_action = INODE_TTL_FREE;
        } else {
            return codec__field_error(errmsg, name,
                                      "must be \"delete\" or \"free\"");
        }
        c->flags |= CMD_F_TTL_ACTION;
        break;
    case FLD_PINNED:
        if (!json_is_boolean(v)) {
            return codec__field_error(errmsg, name, "must be true or false");
        }
        a->pinned = json_is_true(v);
        c->flags |= CMD_F_PINNED;
        break;
    case FLD_XATTRS:
        if ((c->flags & CMD_F_XATTRS) != 0) {
            return codec__field_error(errmsg, name, "given twice");
        }
        rc = get_xattrs(v, name, patch, c, errmsg);
        break;
    default:
        return codec__field_error(errmsg, name, "not supported");
    }
    return rc;
}

/* Decode every member of @obj by the table @rows into @c. */
static int decode_fields(json_t *obj, const struct field_row *rows, bool patch,
                         struct cmd *c, char errmsg[BN_ERRMSG_SIZE])
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        const struct field_row *r = rows;
        int rc;

        while (r->name != NULL && strcmp(r->name, key) != 0) {
            r++;
        }
        if (r->name == NULL) {
            bn_errmsg_printf(errmsg, "unknown field '%.*s'", FIELD_QUOTE_MAX,
                             key);
            return BN_EINVAL;
        }
        rc = decode_field(r->field, r->name, v, patch, c, errmsg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int codec_decode_create(const char *body, size_t len, size_t max, struct cmd *c,
                        char errmsg[BN_ERRMSG_SIZE])
{
    json_t *obj;
    int rc = codec__load_object(body, len, max, &obj, errmsg);

    if (rc != 0) {
        return rc;
    }
    c->u.create.type = 0;
    rc = decode_fields(obj, create_fields, false, c, errmsg);
    if (rc == 0 && c->u.create.type == 0) {
        rc = codec__field_error(errmsg, "type", "is required");
    }
    if (rc == 0 && c->u.create.type == INODE_DIR) {
        if ((c->flags & CMD_F_SIZE) != 0) {
            rc = codec__field_error(errmsg, "size", "is only for files");
        } else if ((c->flags & CMD_F_BLOCK_SIZE) != 0) {
            rc = codec__field_error(errmsg, "block_size", "is only for files");
        }
    }
    json_decref(obj);
    return rc;
}

int codec_decode_setattr(const char *body, size_t len, size_t max,
                         struct cmd *c, char errmsg[BN_ERRMSG_SIZE])
{
    json_t *obj;
    int rc = codec__load_object(body, len, max, &obj, errmsg);

    if (rc != 0) {
        return rc;
    }
    if (json_object_size(obj) == 0) {
        bn_errmsg_printf(errmsg, "the body sets no attribute; give at least "
                                 "one of mode, owner, group, mtime, ttl, "
                                 "ttl_action, pinned, size, xattrs");
        rc = BN_EINVAL;
    } else {
        rc = decode_fields(obj, setattr_fields, true, c, errmsg);
    }
    json_decref(obj);
    return rc;
}

/* BN_EINVAL when @obj has a member not named in @keys (NULL-terminated). */
int codec_decode_rename(const char *body, size_t len, size_t max,
                        struct path *to, char errmsg[BN_ERRMSG_SIZE])
{
    static const char *const keys[] = {"to", NULL};
    json_t *obj;
    json_t *v;
    int rc = codec__load_keyed(body, len, max, keys, &obj, errmsg);

    if (rc != 0) {
        return rc;
    }
    v = json_object_get(obj, "to");
    if (v == NULL) {
        rc = codec__field_error(errmsg, "to", "is required");
    } else if (!json_is_string(v)) {
        rc = codec__field_error(errmsg, "to", "must be a string");
    } else {
        rc =
            path_parse(json_string_value(v), json_string_length(v), to, errmsg);
        if (rc != 0) {
            bn_errmsg_wrapf(errmsg, "field 'to'");
            rc = BN_EINVALPATH;
        }
    }
    json_decref(obj);
    return rc;
}
