/*
 * codec: JSON encoding of inodes, listings and problems, and strict
 * decoding of request bodies into commands, on jansson.
 *
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"

#include "../src/addr.h"
#include "../src/config.h"
#include "../src/db.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../src/mem.h"
#include "../src/mount.h"
#include "../src/usync.h"
#include "jsonw.h"

/* The longest field name quoted back in an error message. */
#define FIELD_QUOTE_MAX 64

static pthread_once_t codec_once = PTHREAD_ONCE_INIT;

static void *codec_malloc(size_t n)
{
    return bn_malloc(n);
}

static void codec_free(void *p)
{
    free(p);
}

/* jansson allocates through bn_malloc, so out of memory aborts, and its
 * dump buffers can be released with free() by the server. */
static void codec_init_once(void)
{
    json_set_alloc_funcs(codec_malloc, codec_free);
    (void)json_object_seed(0);
}

static void codec_init(void)
{
    (void)pthread_once(&codec_once, codec_init_once);
}

/* ---- encoding -------------------------------------------------------- */

/* A JSON string for @len bytes at @s, with U+FFFD for each byte that is not
 * part of valid UTF-8. */
static json_t *str_new(const char *s, size_t len)
{
    json_t *v;
    unsigned char *buf;
    size_t n = 0;

    if (s == NULL) {
        return json_string("");
    }
    v = json_stringn(s, len);
    if (v != NULL) {
        return v;
    }
    buf = bn_malloc(len * 3 + 1);
    for (size_t i = 0; i < len;) {
        size_t k = jsonw_utf8_seq((const unsigned char *)s + i, len - i);

        if (k == 0) {
            buf[n++] = 0xef;
            buf[n++] = 0xbf;
            buf[n++] = 0xbd;
            i++;
        } else {
            memcpy(buf + n, s + i, k);
            n += k;
            i += k;
        }
    }
    v = json_stringn((const char *)buf, n);
    free(buf);
    return v != NULL ? v : json_string("");
}

static json_t *str(const char *s)
{
    return str_new(s, s != NULL ? strlen(s) : 0);
}

/* No id, size or index of ours reaches 2^63; clamp as jansson would
 * (its integers are signed 64-bit). */
static uint64_t clamp(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : v;
}

static json_t *uint_new(uint64_t v)
{
    /* json_int_t is long long; no id, size or index of ours reaches 2^63. */
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void set(json_t *obj, const char *key, json_t *v)
{
    /* _new steals @v; it fails only for a NULL value or a bad key. */
    int rc = json_object_set_new(obj, key, v != NULL ? v : json_null());

    (void)rc;
}

static char *dump(json_t *v, size_t *len)
{
    char *text = json_dumps(v, JSON_COMPACT);

    json_decref(v);
    if (text == NULL) {
        /* Only a NULL or a circular value fails to dump. */
        text = bn_strdup("null");
    }
    *len = strlen(text);
    return text;
}

void codec_etag(const struct inode *ino, char out[48])
{
    (void)snprintf(out, 48, "\"%" PRIu64 "-%" PRIu64 "\"", (uint64_t)ino->id,
                   ino->version);
}

static struct mount_table *codec_mounts; /* set once at start */

void codec_set_mounts(struct mount_table *mt)
{
    codec_mounts = mt;
}

/* mount_id, ufs_path and persisted of an inode under a mount. */
static void mount_write(struct jsonw *w, const struct inode *ino,
                        const char *path)
{
    struct mount_info m = {0};
    char *rel = NULL;

    if (codec_mounts == NULL || !mount_resolve(codec_mounts, path, &m, &rel)) {
        return;
    }
    jsonw_lit(w, ",\"mount_id\":");
    jsonw_u64(w, clamp(m.id));
    jsonw_lit(w, ",\"ufs_path\":");
    if (rel[0] == '\0') {
        jsonw_str(w, m.uri);
    } else {
        size_t n = strlen(m.uri) + strlen(rel) + 2;
        char *u = bn_malloc(n);

        (void)snprintf(u, n, "%s%s%s", m.uri,
                       m.uri[strlen(m.uri) - 1] == '/' ? "" : "/", rel);
        jsonw_str(w, u);
        free(u);
    }
    jsonw_lit(w, inode_xattr_get(ino, USYNC_CACHE_ONLY_XATTR) != NULL
                     ? ",\"persisted\":false"
                     : ",\"persisted\":true");
    free(rel);
    mount_info_clear(&m);
}

/* One inode's status object, in the member order of openapi.yaml. */
static void inode_write(struct jsonw *w, const struct inode *ino,
                        const char *path)
{
    char mode[8];
    char etag[48];

    inode_mode_format(ino->mode, mode);
    codec_etag(ino, etag);
    jsonw_lit(w, "{\"id\":");
    jsonw_u64(w, clamp(ino->id));
    jsonw_lit(w, ",\"name\":");
    jsonw_str(w, ino->name);
    jsonw_lit(w, ",\"path\":");
    jsonw_str(w, path);
    jsonw_lit(w, ino->type == INODE_DIR ? ",\"type\":\"directory\""
                                        : ",\"type\":\"file\"");
    jsonw_lit(w, ",\"size\":");
    jsonw_u64(w, clamp(ino->size));
    jsonw_lit(w, ",\"block_size\":");
    jsonw_u64(w, clamp(ino->block_size));
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
        jsonw_u64(w, clamp(ino->nchildren));
    }
    jsonw_lit(w, ",\"version\":");
    jsonw_u64(w, clamp(ino->version));
    jsonw_lit(w, ",\"etag\":");
    jsonw_str(w, etag);
    mount_write(w, ino, path);
    jsonw_raw(w, "}", 1);
}

char *codec_inode_to_json(const struct inode *ino, const char *path,
                          size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 512);
    inode_write(&w, ino, path);
    return jsonw_finish(&w, len);
}

char *codec_page_to_json(const char *path, const struct ns_page *page,
                         size_t *len)
{
    struct jsonw w;
    size_t plen = strlen(path);
    size_t base = strcmp(path, "/") == 0 ? 0 : plen;
    size_t cap = base + 2 + PATH_NAME_MAX + 1;
    char *child = bn_malloc(cap);

    jsonw_init(&w, 256 + page->n * 384);
    jsonw_lit(&w, "{\"path\":");
    jsonw_str(&w, path);
    jsonw_lit(&w, ",\"entries\":[");
    for (size_t i = 0; i < page->n; i++) {
        const struct inode *e = &page->entries[i];
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
        inode_write(&w, e, child);
    }
    free(child);
    jsonw_lit(&w, "],\"next\":");
    if (page->more && page->n > 0) {
        jsonw_str(&w, page->entries[page->n - 1].name);
    } else {
        jsonw_lit(&w, "null");
    }
    jsonw_raw(&w, "}", 1);
    return jsonw_finish(&w, len);
}

char *codec_problem_to_json(int status, const char *code, const char *title,
                            const char *detail, const char *instance,
                            size_t *len)
{
    json_t *o;
    char type[96];

    codec_init();
    o = json_object();
    (void)snprintf(type, sizeof(type), "urn:banyan:problem:%s", code);
    set(o, "type", str(type));
    set(o, "title", str(title));
    set(o, "status", json_integer(status));
    set(o, "code", str(code));
    if (detail != NULL) {
        set(o, "detail", str(detail));
    }
    if (instance != NULL) {
        set(o, "instance", str(instance));
    }
    return dump(o, len);
}

char *codec_health_to_json(const char *status, size_t *len)
{
    json_t *o;

    codec_init();
    o = json_object();
    set(o, "status", str(status));
    return dump(o, len);
}

char *codec_ready_to_json(const char *role, uint64_t applied, size_t *len)
{
    json_t *o;

    codec_init();
    o = json_object();
    set(o, "status", json_string("ready"));
    set(o, "role", str(role));
    set(o, "applied_index", uint_new(applied));
    return dump(o, len);
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
static int load_object(const char *body, size_t len, size_t max, json_t **out,
                       char errmsg[BN_ERRMSG_SIZE])
{
    json_error_t jerr;
    json_t *v;

    codec_init();
    *out = NULL;
    if (len > max) {
        bn_errmsg_printf(
            errmsg, "body is %zu bytes, more than the limit of %zu", len, max);
        return BN_ETOOLARGE;
    }
    if (body == NULL || len == 0) {
        bn_errmsg_printf(errmsg, "a JSON body is required");
        return BN_EINVAL;
    }
    /* JSON_DECODE_ANY so that "[1]" and "true" get the same answer as any
     * other non-object; without JSON_ALLOW_NUL, "\u0000" is refused, so no
     * string we take holds a NUL. */
    v = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        bn_errmsg_printf(errmsg, "invalid JSON at line %d, column %d: %s",
                         jerr.line, jerr.column, jerr.text);
        return BN_EINVAL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        bn_errmsg_printf(errmsg, "the body must be a JSON object");
        return BN_EINVAL;
    }
    *out = v;
    return 0;
}

static int field_error(char errmsg[BN_ERRMSG_SIZE], const char *name,
                       const char *what)
{
    bn_errmsg_printf(errmsg, "field '%.*s': %s", FIELD_QUOTE_MAX, name, what);
    return BN_EINVAL;
}

static int get_u64(json_t *v, const char *name, uint64_t *out,
                   char errmsg[BN_ERRMSG_SIZE])
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return field_error(errmsg, name, "must be a non-negative integer");
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
        return field_error(errmsg, name, "must be a string");
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > INODE_OWNER_MAX) {
        return field_error(errmsg, name, "must be 1 to 255 bytes");
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f) {
            return field_error(errmsg, name,
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
        return field_error(errmsg, name, "must be an object of strings");
    }
    n = json_object_size(v);
    if (n > INODE_XATTR_MAX) {
        return field_error(errmsg, name, "more than 64 attributes");
    }
    a->xattrs = bn_calloc(n, sizeof(*a->xattrs));
    a->n_xattrs = 0;
    json_object_foreach(v, key, val)
    {
        struct xattr *xa = &a->xattrs[a->n_xattrs];
        size_t klen = strlen(key);

        if (klen == 0 || klen > INODE_XATTR_KEY_MAX) {
            return field_error(errmsg, name, "a key must be 1 to 255 bytes");
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
        return field_error(errmsg, name, "must not be null");
    }
    switch (f) {
    case FLD_TYPE:
        s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "directory") == 0) {
            c->u.create.type = INODE_DIR;
        } else if (strcmp(s, "file") == 0) {
            c->u.create.type = INODE_FILE;
        } else {
            return field_error(errmsg, name,
                               "must be \"directory\" or \"file\"");
        }
        break;
    case FLD_MODE:
        if (!json_is_string(v) ||
            inode_mode_parse(json_string_value(v), &a->mode) != 0) {
            return field_error(errmsg, name,
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
            return field_error(errmsg, name, "must be true or false");
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
            return field_error(errmsg, name,
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
            return field_error(errmsg, name,
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
            return field_error(errmsg, name, "must be \"delete\" or \"free\"");
        }
        c->flags |= CMD_F_TTL_ACTION;
        break;
    case FLD_PINNED:
        if (!json_is_boolean(v)) {
            return field_error(errmsg, name, "must be true or false");
        }
        a->pinned = json_is_true(v);
        c->flags |= CMD_F_PINNED;
        break;
    case FLD_XATTRS:
        if ((c->flags & CMD_F_XATTRS) != 0) {
            return field_error(errmsg, name, "given twice");
        }
        rc = get_xattrs(v, name, patch, c, errmsg);
        break;
    default:
        return field_error(errmsg, name, "not supported");
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
    int rc = load_object(body, len, max, &obj, errmsg);

    if (rc != 0) {
        return rc;
    }
    c->u.create.type = 0;
    rc = decode_fields(obj, create_fields, false, c, errmsg);
    if (rc == 0 && c->u.create.type == 0) {
        rc = field_error(errmsg, "type", "is required");
    }
    if (rc == 0 && c->u.create.type == INODE_DIR) {
        if ((c->flags & CMD_F_SIZE) != 0) {
            rc = field_error(errmsg, "size", "is only for files");
        } else if ((c->flags & CMD_F_BLOCK_SIZE) != 0) {
            rc = field_error(errmsg, "block_size", "is only for files");
        }
    }
    json_decref(obj);
    return rc;
}

int codec_decode_setattr(const char *body, size_t len, size_t max,
                         struct cmd *c, char errmsg[BN_ERRMSG_SIZE])
{
    json_t *obj;
    int rc = load_object(body, len, max, &obj, errmsg);

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
static int only_keys(json_t *obj, const char *const *keys,
                     char errmsg[BN_ERRMSG_SIZE])
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        size_t i = 0;

        while (keys[i] != NULL && strcmp(keys[i], key) != 0) {
            i++;
        }
        if (keys[i] == NULL) {
            bn_errmsg_printf(errmsg, "unknown field '%.*s'", FIELD_QUOTE_MAX,
                             key);
            return BN_EINVAL;
        }
    }
    return 0;
}

/* load_object(), then only_keys(): an object with no other members. */
static int load_keyed(const char *body, size_t len, size_t max,
                      const char *const *keys, json_t **out,
                      char errmsg[BN_ERRMSG_SIZE])
{
    int rc = load_object(body, len, max, out, errmsg);

    if (rc == 0) {
        rc = only_keys(*out, keys, errmsg);
        if (rc != 0) {
            json_decref(*out);
            *out = NULL;
        }
    }
    return rc;
}

int codec_decode_rename(const char *body, size_t len, size_t max,
                        struct path *to, char errmsg[BN_ERRMSG_SIZE])
{
    static const char *const keys[] = {"to", NULL};
    json_t *obj;
    json_t *v;
    int rc = load_keyed(body, len, max, keys, &obj, errmsg);

    if (rc != 0) {
        return rc;
    }
    v = json_object_get(obj, "to");
    if (v == NULL) {
        rc = field_error(errmsg, "to", "is required");
    } else if (!json_is_string(v)) {
        rc = field_error(errmsg, "to", "must be a string");
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

/* ---- cluster --------------------------------------------------------- */

char *codec_term_to_json(uint64_t term, uint64_t node_id, size_t *len)
{
    json_t *o;

    codec_init();
    o = json_object();
    set(o, "term", uint_new(term)); /* first: repl_lease.c reads it so */
    set(o, "node_id", uint_new(node_id));
    return dump(o, len);
}

char *codec_lease_to_json(uint64_t term, uint64_t node_id, unsigned lease_ms,
                          size_t *len)
{
    json_t *o;

    codec_init();
    o = json_object();
    set(o, "term", uint_new(term)); /* first: repl_lease.c reads it so */
    set(o, "node_id", uint_new(node_id));
    set(o, "lease_ms", uint_new(lease_ms));
    return dump(o, len);
}

static json_t *self_object(const struct repl_info *info, const char *http)
{
    json_t *o = json_object();

    set(o, "id", uint_new(info->node_id));
    set(o, "http", str(http));
    set(o, "state", str(repl_role_name(info->role)));
    set(o, "leader_id", uint_new(info->leader_id));
    set(o, "term", uint_new(info->term));
    set(o, "commit_index", uint_new(info->commit_index));
    set(o, "applied_index", uint_new(info->applied_index));
    set(o, "last_index", uint_new(info->last_index));
    set(o, "last_contact_ms", uint_new(info->last_contact_ms));
    return o;
}

char *codec_node_self_to_json(const struct repl_info *info, const char *http,
                              size_t *len)
{
    codec_init();
    return dump(self_object(info, http), len);
}

char *codec_cluster_to_json(const struct repl_info *info, const char *http,
                            const char *const *peer_bodies, size_t *len)
{
    json_t *o;
    json_t *nodes;

    codec_init();
    o = json_object();
    nodes = json_array();
    set(o, "self_id", uint_new(info->node_id));
    set(o, "leader_id", uint_new(info->leader_id));
    set(o, "term", uint_new(info->term));
    for (size_t i = 0; i < info->n_servers; i++) {
        const struct repl_server *sv = &info->servers[i];
        bool self = sv->id == info->node_id;
        json_t *n = json_object();
        json_t *peer = NULL;

        if (self) {
            peer = self_object(info, http);
        } else if (peer_bodies[i] != NULL) {
            peer = json_loads(peer_bodies[i], 0, NULL);
            if (peer != NULL && !json_is_object(peer)) {
                json_decref(peer);
                peer = NULL;
            }
        }
        set(n, "id", uint_new(sv->id));
        set(n, "http", str(sv->http));
        set(n, "raft", str(sv->raft));
        set(n, "role", str(repl_member_role_name(sv->role)));
        set(n, "leader", json_boolean(sv->id == info->leader_id));
        set(n, "self", json_boolean(self));
        set(n, "reachable", json_boolean(peer != NULL));
        if (peer != NULL) {
            static const char *const keys[] = {
                "state",         "term",       "commit_index",
                "applied_index", "last_index", "last_contact_ms"};

            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                json_t *v = json_object_get(peer, keys[k]);

                set(n, keys[k], v != NULL ? json_incref(v) : json_null());
            }
            json_decref(peer);
        } else {
            set(n, "state", json_null());
            set(n, "term", json_null());
            set(n, "commit_index", json_null());
            set(n, "applied_index", json_null());
            set(n, "last_index", json_null());
            set(n, "last_contact_ms", json_null());
        }
        if (info->role == REPL_LEADER) {
            set(n, "match_index", uint_new(sv->match_index));
        }
        json_array_append_new(nodes, n);
    }
    set(o, "nodes", nodes);
    return dump(o, len);
}

char *codec_checksum_to_json(uint64_t node_id, const struct db_checksum *c,
                             size_t *len)
{
    json_t *o;
    char hex[17];

    codec_init();
    (void)snprintf(hex, sizeof(hex), "%016" PRIx64, c->sum);
    o = json_object();
    set(o, "node_id", uint_new(node_id));
    set(o, "applied_index", uint_new(c->applied_index));
    set(o, "inodes", uint_new(c->inodes));
    set(o, "directories", uint_new(c->directories));
    set(o, "checksum", json_string(hex));
    return dump(o, len);
}

char *codec_member_to_json(const struct repl_admin_req *m, size_t *len)
{
    json_t *o;

    codec_init();
    o = json_object();
    set(o, "id", uint_new(m->id));
    if (m->http[0] != '\0') {
        set(o, "http", str(m->http));
    }
    if (m->raft[0] != '\0') {
        set(o, "raft", str(m->raft));
    }
    set(o, "role", str(repl_member_role_name(m->role)));
    return dump(o, len);
}

static int decode_role(json_t *v, int *role, char errmsg[BN_ERRMSG_SIZE])
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    int r = s != NULL ? repl_member_role_parse(s) : -1;

    if (r >= 0) {
        *role = r;
    } else {
        bn_errmsg_printf(errmsg, "'role' must be voter, standby or spare");
        return BN_EINVAL;
    }
    return 0;
}

static int decode_addr(json_t *v, const char *key,
                       char out[CONFIG_ADDR_MAX + 1],
                       char errmsg[BN_ERRMSG_SIZE])
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    if (s == NULL || strlen(s) > CONFIG_ADDR_MAX) {
        bn_errmsg_printf(errmsg, "'%s' must be a host:port string", key);
        return BN_EINVAL;
    }
    if (addr_parse(s, NULL, errmsg) != 0) {
        bn_errmsg_wrapf(errmsg, "'%s'", key);
        return BN_EINVAL;
    }
    (void)snprintf(out, CONFIG_ADDR_MAX + 1, "%s", s);
    return 0;
}

int codec_decode_member(const char *body, size_t len, size_t max, int op,
                        struct repl_admin_req *out, char errmsg[BN_ERRMSG_SIZE])
{
    json_t *obj;
    json_t *v;
    const char *key;
    bool has_id = false;
    bool has_role = false;
    int rc;

    if (op == REPL_TRANSFER && len == 0) {
        return 0; /* no body: any voter */
    }
    rc = load_object(body, len, max, &obj, errmsg);
    if (rc != 0) {
        return rc;
    }
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "id") == 0 && op != REPL_ASSIGN) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                (json_integer_value(v) == 0 && op != REPL_TRANSFER)) {
                bn_errmsg_printf(errmsg, "'id' must be a node id (from 1)");
                rc = BN_EINVAL;
                break;
            }
            out->id = (uint64_t)json_integer_value(v);
            has_id = true;
        } else if (strcmp(key, "http") == 0 && op == REPL_ADD) {
            rc = decode_addr(v, "http", out->http, errmsg);
        } else if (strcmp(key, "raft") == 0 && op == REPL_ADD) {
            rc = decode_addr(v, "raft", out->raft, errmsg);
        } else if (strcmp(key, "role") == 0 &&
                   (op == REPL_ADD || op == REPL_ASSIGN)) {
            rc = decode_role(v, &out->role, errmsg);
            has_role = true;
        } else {
            bn_errmsg_printf(errmsg, "unknown field '%.64s'", key);
            rc = BN_EINVAL;
        }
        if (rc != 0) {
            break;
        }
    }
    json_decref(obj);
    if (rc != 0) {
        return rc;
    }
    if (op == REPL_ADD &&
        (!has_id || out->http[0] == '\0' || out->raft[0] == '\0')) {
        bn_errmsg_printf(errmsg, "a new node needs 'id', 'http' and 'raft'");
        return BN_EINVAL;
    }
    if (op == REPL_ASSIGN && !has_role) {
        bn_errmsg_printf(errmsg, "the body needs 'role'");
        return BN_EINVAL;
    }
    return 0;
}

/* ---- mounts ---------------------------------------------------------- */

static void mount_obj(struct jsonw *w, const struct mount_info *m)
{
    jsonw_lit(w, "{\"id\":");
    jsonw_u64(w, clamp(m->id));
    jsonw_lit(w, ",\"path\":");
    jsonw_str(w, m->path);
    jsonw_lit(w, ",\"ufs\":");
    jsonw_str(w, m->uri);
    jsonw_lit(w, m->read_only ? ",\"read_only\":true" : ",\"read_only\":false");
    jsonw_lit(w, ",\"shared\":false,\"options\":{},\"mounted\":");
    jsonw_i64(w, m->mounted_ms);
    jsonw_raw(w, "}", 1);
}

char *codec_mount_to_json(const struct mount_info *m, size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 256);
    mount_obj(&w, m);
    return jsonw_finish(&w, len);
}

char *codec_mounts_to_json(const struct mount_info *m, size_t n, size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 64 + n * 256);
    jsonw_lit(&w, "{\"mounts\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            jsonw_raw(&w, ",", 1);
        }
        mount_obj(&w, &m[i]);
    }
    jsonw_lit(&w, "]}");
    return jsonw_finish(&w, len);
}

char *codec_sync_to_json(const char *path, const struct usync_stats *st,
                         size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 256);
    jsonw_lit(&w, "{\"path\":");
    jsonw_str(&w, path);
    jsonw_lit(&w, ",\"created\":");
    jsonw_u64(&w, clamp(st->created));
    jsonw_lit(&w, ",\"deleted\":");
    jsonw_u64(&w, clamp(st->deleted));
    jsonw_lit(&w, ",\"updated\":");
    jsonw_u64(&w, clamp(st->updated));
    jsonw_lit(&w, ",\"directories\":");
    jsonw_u64(&w, clamp(st->dirs));
    jsonw_raw(&w, "}", 1);
    return jsonw_finish(&w, len);
}

int codec_decode_mount(const char *body, size_t len, size_t max,
                       struct path *path, char **ufs, bool *read_only,
                       char errmsg[BN_ERRMSG_SIZE])
{
    static const char *const keys[] = {"path", "ufs", "read_only", NULL};
    json_t *obj;
    json_t *v;
    int rc;

    *ufs = NULL;
    *read_only = false;
    rc = load_keyed(body, len, max, keys, &obj, errmsg);
    if (rc != 0) {
        return rc;
    }
    v = json_object_get(obj, "read_only");
    if (v != NULL && !json_is_boolean(v)) {
        rc = field_error(errmsg, "read_only", "must be true or false");
        goto out;
    }
    *read_only = v != NULL && json_is_true(v);
    v = json_object_get(obj, "ufs");
    if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > PATH_LEN_MAX ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        rc = field_error(errmsg, "ufs",
                         "is required: an under-storage URI such as "
                         "file:///srv/data");
        goto out;
    }
    v = json_object_get(obj, "path");
    if (v == NULL || !json_is_string(v)) {
        rc = field_error(errmsg, "path", "is required: a namespace path");
        goto out;
    }
    rc = path_parse(json_string_value(v), json_string_length(v), path, errmsg);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "field 'path'");
        rc = BN_EINVALPATH;
        goto out;
    }
    *ufs = bn_strdup(json_string_value(json_object_get(obj, "ufs")));
out:
    json_decref(obj);
    return rc;
}
