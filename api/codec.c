/*
 * codec: what the parts of the codec share (jansson set-up, strings that
 * are always valid UTF-8, strict body loading), and the problem and health
 * documents.
 *
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../src/mem.h"
#include "codec_int.h"
#include "jsonw.h"

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

void codec__init(void)
{
    (void)pthread_once(&codec_once, codec_init_once);
}

/* ---- encoding -------------------------------------------------------- */

/* A JSON string for @len bytes at @s, with U+FFFD for each byte that is not
 * part of valid UTF-8. */
json_t *codec__strn(const char *s, size_t len)
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

json_t *codec__str(const char *s)
{
    return codec__strn(s, s != NULL ? strlen(s) : 0);
}

json_t *codec__uint(uint64_t v)
{
    /* json_int_t is long long; no id, size or index of ours reaches 2^63. */
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

void codec__set(json_t *obj, const char *key, json_t *v)
{
    /* _new steals @v; it fails only for a NULL value or a bad key. */
    int rc = json_object_set_new(obj, key, v != NULL ? v : json_null());

    (void)rc;
}

char *codec__dump(json_t *v, size_t *len)
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
char *codec_problem_to_json(int status, const char *code, const char *title,
                            const char *detail, const char *instance,
                            size_t *len)
{
    json_t *o;
    char type[96];

    codec__init();
    o = json_object();
    (void)snprintf(type, sizeof(type), "urn:banyan:problem:%s", code);
    codec__set(o, "type", codec__str(type));
    codec__set(o, "title", codec__str(title));
    codec__set(o, "status", json_integer(status));
    codec__set(o, "code", codec__str(code));
    if (detail != NULL) {
        codec__set(o, "detail", codec__str(detail));
    }
    if (instance != NULL) {
        codec__set(o, "instance", codec__str(instance));
    }
    return codec__dump(o, len);
}

char *codec_health_to_json(const char *status, size_t *len)
{
    json_t *o;

    codec__init();
    o = json_object();
    codec__set(o, "status", codec__str(status));
    return codec__dump(o, len);
}

char *codec_ready_to_json(const char *role, uint64_t applied, size_t *len)
{
    json_t *o;

    codec__init();
    o = json_object();
    codec__set(o, "status", json_string("ready"));
    codec__set(o, "role", codec__str(role));
    codec__set(o, "applied_index", codec__uint(applied));
    return codec__dump(o, len);
}

/* ---- decoding -------------------------------------------------------- */

int codec__load_object(const char *body, size_t len, size_t max, json_t **out,
                       char errmsg[BN_ERRMSG_SIZE])
{
    json_error_t jerr;
    json_t *v;

    codec__init();
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

int codec__field_error(char errmsg[BN_ERRMSG_SIZE], const char *name,
                       const char *what)
{
    bn_errmsg_printf(errmsg, "field '%.*s': %s", FIELD_QUOTE_MAX, name, what);
    return BN_EINVAL;
}

/* BN_EINVAL when @obj has a member not named in @keys (NULL-terminated). */
int codec__only_keys(json_t *obj, const char *const *keys,
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

/* codec__load_object(), then codec__only_keys(): an object with no other
 * members. */
int codec__load_keyed(const char *body, size_t len, size_t max,
                      const char *const *keys, json_t **out,
                      char errmsg[BN_ERRMSG_SIZE])
{
    int rc = codec__load_object(body, len, max, out, errmsg);

    if (rc == 0) {
        rc = codec__only_keys(*out, keys, errmsg);
        if (rc != 0) {
            json_decref(*out);
            *out = NULL;
        }
    }
    return rc;
}
