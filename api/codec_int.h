/*
 * codec_int: private to the codec's files (codec.c, codec_inode.c,
 * codec_cluster.c, codec_mount.c): the jansson helpers they share. Never
 * include it elsewhere; json_t never leaves these files.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_CODEC_INT_H
#define BANYAN_API_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../src/errcode.h"

/* The longest field name quoted back in an error message. */
#define FIELD_QUOTE_MAX 64

/* Make jansson allocate through bn_malloc (once; any thread). */
void codec__init(void);

/* A JSON string of @len bytes at @s (or of NUL-terminated @s; NULL gives
 * ""), with U+FFFD for each byte that is not part of valid UTF-8. */
json_t *codec__strn(const char *s, size_t len);
json_t *codec__str(const char *s);

/* An integer, clamped to INT64_MAX (jansson's are signed 64-bit). */
json_t *codec__uint(uint64_t v);

/* Set @key of @obj to @v (stolen; NULL sets null). */
void codec__set(json_t *obj, const char *key, json_t *v);

/* Dump and release @v; returns a new buffer (free()) of *len bytes. */
char *codec__dump(json_t *v, size_t *len);

/* Parse @body (@len bytes, at most @max) into a JSON object: 0 and *out
 * (json_decref() it), or BN_ETOOLARGE / BN_EINVAL with the reason. */
int codec__load_object(const char *body, size_t len, size_t max, json_t **out,
                       char errmsg[BN_ERRMSG_SIZE]);

/* codec__load_object(), refusing a member not named in @keys
 * (NULL-terminated). */
int codec__load_keyed(const char *body, size_t len, size_t max,
                      const char *const *keys, json_t **out,
                      char errmsg[BN_ERRMSG_SIZE]);

/* BN_EINVAL when @obj has a member not named in @keys. */
int codec__only_keys(json_t *obj, const char *const *keys,
                     char errmsg[BN_ERRMSG_SIZE]);

/* "field '@name': @what" into @errmsg; returns BN_EINVAL. */
int codec__field_error(char errmsg[BN_ERRMSG_SIZE], const char *name,
                       const char *what);

/* No id, size or index of ours reaches 2^63; clamp as jansson would. */
static inline uint64_t codec__clamp(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : v;
}

#endif /* BANYAN_API_CODEC_INT_H */
