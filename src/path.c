/*
 * path: parse and normalise namespace paths.
 *
 * The parser is pure and sees raw bytes with their length. It checks the
 * whole path's length first (a cheap bound on the work), then each segment
 * in order: UTF-8 (RFC 3629 §4, so no overlong forms, no surrogates, nothing
 * above U+10FFFF), no control characters, the name length, and "." / "..".
 * Error messages never echo the rejected bytes, so they are always ASCII
 * and safe to put into JSON.
 *
 * SPDX-License-Identifier: MIT
 */
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Why @len bytes at @s are not a valid UTF-8 sequence, or NULL when they
 * start with one; *@step is its length. RFC 3629 §4, table of well-formed
 * byte sequences. */
static const char *utf8_check(const unsigned char *s, size_t len, size_t *step)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    size_t n;

    *step = 1;
    if (c < 0x80) {
        return NULL;
    }
    if (c < 0xC0) {
        return "unexpected continuation byte";
    }
    if (c < 0xC2) {
        return "overlong encoding";
    }
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c < 0xF5) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else if (c < 0xF8) {
        return "code point above U+10FFFF";
    } else {
        return "byte that never appears in UTF-8";
    }
    for (size_t i = 1; i < n; i++) {
        if (i >= len) {
            return "truncated sequence";
        }
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return "missing continuation byte";
        }
    }
    if (s[1] < lo) {
        return "overlong encoding";
    }
    if (s[1] > hi) {
        return c == 0xED ? "UTF-16 surrogate" : "code point above U+10FFFF";
    }
    *step = n;
    return NULL;
}

/* Check one segment. Returns 0, or -1 with the reason in @why, written to
 * follow "segment 3 " or "name ". */
static int check_segment(const char *s, size_t len, char *why, size_t why_len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    if (len == 0) {
        (void)snprintf(why, why_len, "is empty");
        return -1;
    }
    if (len > PATH_NAME_MAX) {
        (void)snprintf(why, why_len, "is %zu bytes, longer than %d", len,
                       PATH_NAME_MAX);
        return -1;
    }
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) {
        (void)snprintf(why, why_len, "is '%s'", len == 1 ? "." : "..");
        return -1;
    }
    while (i < len) {
        size_t step;
        const char *bad;

        if (p[i] < 0x20 || p[i] == 0x7F) {
            (void)snprintf(why, why_len,
                           "has control character 0x%02x at offset %zu", p[i],
                           i);
            return -1;
        }
        if (p[i] == '/') {
            (void)snprintf(why, why_len, "has '/' at offset %zu", i);
            return -1;
        }
        bad = utf8_check(p + i, len - i, &step);
        if (bad != NULL) {
            (void)snprintf(why, why_len, "has invalid UTF-8 at offset %zu (%s)",
                           i, bad);
            return -1;
        }
        i += step;
    }
    return 0;
}

void path_clear(struct path *p)
{
    for (size_t i = 0; p->seg != NULL && i < p->n; i++) {
        free(p->seg[i]);
    }
    free(p->seg);
    free(p->norm);
    memset(p, 0, sizeof(*p));
}

int path_parse(const char *raw, size_t len, struct path *out,
               char errmsg[BN_ERRMSG_SIZE])
{
    char why[128];
    const char *body;
    size_t blen;
    size_t n = 0;
    size_t start;

    memset(out, 0, sizeof(*out));
    if (raw == NULL || len == 0) {
        bn_errmsg_printf(errmsg, "path is empty");
        return BN_EINVALPATH;
    }
    if (len > PATH_LEN_MAX) {
        bn_errmsg_printf(errmsg, "path is %zu bytes, longer than %d", len,
                         PATH_LEN_MAX);
        return BN_EINVALPATH;
    }
    if (raw[0] != '/') {
        bn_errmsg_printf(errmsg, "path is relative (must start with '/')");
        return BN_EINVALPATH;
    }
    if (len == 1) {
        out->norm = bn_strdup("/");
        return 0;
    }

    /* Drop one trailing '/' unless that would leave an empty segment. */
    body = raw + 1;
    blen = len - 1;
    if (body[blen - 1] == '/' && blen > 1) {
        blen--;
    }

    /* First pass: check every segment and count them. */
    start = 0;
    for (size_t i = 0; i <= blen; i++) {
        if (i < blen && body[i] != '/') {
            continue;
        }
        n++;
        if (n > PATH_DEPTH_MAX) {
            bn_errmsg_printf(errmsg, "path is deeper than %d segments",
                             PATH_DEPTH_MAX);
            return BN_EINVALPATH;
        }
        if (check_segment(body + start, i - start, why, sizeof(why)) != 0) {
            bn_errmsg_printf(errmsg, "segment %zu %s", n, why);
            return BN_EINVALPATH;
        }
        start = i + 1;
    }

    /* Second pass: copy. */
    out->norm = bn_strndup(raw, blen + 1);
    out->seg = bn_malloc(n * sizeof(*out->seg));
    out->n = n;
    start = 0;
    n = 0;
    for (size_t i = 0; i <= blen; i++) {
        if (i == blen || body[i] == '/') {
            out->seg[n++] = bn_strndup(body + start, i - start);
            start = i + 1;
        }
    }
    return 0;
}

int path_check_name(const char *name, size_t len, char errmsg[BN_ERRMSG_SIZE])
{
    char why[128];

    if (name == NULL) {
        len = 0;
    }
    if (check_segment(name, len, why, sizeof(why)) != 0) {
        bn_errmsg_printf(errmsg, "name %s", why);
        return BN_EINVALPATH;
    }
    return 0;
}

void path_copy(struct path *dst, const struct path *src)
{
    dst->norm = bn_strdup(src->norm);
    dst->n = src->n;
    dst->seg = NULL;
    if (src->n > 0) {
        dst->seg = bn_malloc(src->n * sizeof(*dst->seg));
        for (size_t i = 0; i < src->n; i++) {
            dst->seg[i] = bn_strdup(src->seg[i]);
        }
    }
}

const char *path_basename(const struct path *p)
{
    return p->n == 0 ? "" : p->seg[p->n - 1];
}

bool path_is_prefix(const struct path *a, const struct path *b)
{
    if (a->n > b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->seg[i], b->seg[i]) != 0) {
            return false;
        }
    }
    return true;
}
