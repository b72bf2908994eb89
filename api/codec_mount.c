/*
 * codec_mount: mounts and sync reports to JSON, and the mount body.
 *
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "../src/mem.h"
#include "codec_int.h"
#include "jsonw.h"

/* ---- mounts ---------------------------------------------------------- */

static void mount_obj(struct jsonw *w, const struct mount_info *m)
{
    jsonw_lit(w, "{\"id\":");
    jsonw_u64(w, codec__clamp(m->id));
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

char *codec_sync_to_json(const char *path, uint64_t created, uint64_t deleted,
                         uint64_t updated, uint64_t dirs, size_t *len)
{
    struct jsonw w;

    jsonw_init(&w, 256);
    jsonw_lit(&w, "{\"path\":");
    jsonw_str(&w, path);
    jsonw_lit(&w, ",\"created\":");
    jsonw_u64(&w, codec__clamp(created));
    jsonw_lit(&w, ",\"deleted\":");
    jsonw_u64(&w, codec__clamp(deleted));
    jsonw_lit(&w, ",\"updated\":");
    jsonw_u64(&w, codec__clamp(updated));
    jsonw_lit(&w, ",\"directories\":");
    jsonw_u64(&w, codec__clamp(dirs));
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
    rc = codec__load_keyed(body, len, max, keys, &obj, errmsg);
    if (rc != 0) {
        return rc;
    }
    v = json_object_get(obj, "read_only");
    if (v != NULL && !json_is_boolean(v)) {
        rc = codec__field_error(errmsg, "read_only", "must be true or false");
        goto out;
    }
    *read_only = v != NULL && json_is_true(v);
    v = json_object_get(obj, "ufs");
    if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > PATH_LEN_MAX ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        rc = codec__field_error(errmsg, "ufs",
                                "is required: an under-storage URI such as "
                                "file:///srv/data");
        goto out;
    }
    v = json_object_get(obj, "path");
    if (v == NULL || !json_is_string(v)) {
        rc =
            codec__field_error(errmsg, "path", "is required: a namespace path");
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
