/*
 * jsonw: a JSON text writer (jsonw.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "jsonw.h"

#include <stdlib.h>
#include <string.h>

#include "../src/mem.h"

static void reserve(struct jsonw *w, size_t n)
{
    if (w->len + n + 1 <= w->cap) {
        return;
    }
    size_t cap = w->cap > 0 ? w->cap : 256;
    while (cap < w->len + n + 1) {
        cap *= 2;
    }
    w->buf = bn_realloc(w->buf, cap);
    w->cap = cap;
}

void jsonw_init(struct jsonw *w, size_t cap)
{
    w->buf = bn_malloc(cap > 0 ? cap : 1);
    w->len = 0;
    w->cap = cap > 0 ? cap : 1;
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
    reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void jsonw_lit(struct jsonw *w, const char *s)
{
    jsonw_raw(w, s, strlen(s));
}

size_t jsonw_utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return n;
}

void jsonw_str(struct jsonw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)p);
    size_t i = 0;

    /* Worst case: every byte becomes \u00XX (6) or U+FFFD (3). */
    reserve(w, len * 6 + 2);
    w->buf[w->len++] = '"';
    while (i < len) {
        unsigned char c = p[i];
        size_t k;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            w->buf[w->len++] = (char)c;
            i++;
            continue;
        }
        if (c < 0x20 || c == '"' || c == '\\') {
            char *o = w->buf + w->len;

            o[0] = '\\';
            switch (c) {
            case '"':
            case '\\':
                o[1] = (char)c;
                break;
            case '\b':
                o[1] = 'b';
                break;
            case '\f':
                o[1] = 'f';
                break;
            case '\n':
                o[1] = 'n';
                break;
            case '\r':
                o[1] = 'r';
                break;
            case '\t':
                o[1] = 't';
                break;
            default:
                o[1] = 'u';
                o[2] = '0';
                o[3] = '0';
                o[4] = hex[c >> 4];
                o[5] = hex[c & 0xf];
                w->len += 4;
                break;
            }
            w->len += 2;
            i++;
            continue;
        }
        k = jsonw_utf8_seq(p + i, len - i);
        if (k == 0) {
            memcpy(w->buf + w->len, "\xef\xbf\xbd", 3);
            w->len += 3;
            i++;
        } else {
            memcpy(w->buf + w->len, p + i, k);
            w->len += k;
            i += k;
        }
    }
    w->buf[w->len++] = '"';
}

void jsonw_u64(struct jsonw *w, uint64_t v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    jsonw_raw(w, tmp + sizeof(tmp) - n, n);
}

void jsonw_i64(struct jsonw *w, int64_t v)
{
    if (v < 0) {
        jsonw_raw(w, "-", 1);
        jsonw_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        jsonw_u64(w, (uint64_t)v);
    }
}

char *jsonw_finish(struct jsonw *w, size_t *len)
{
    char *out;

    reserve(w, 0);
    w->buf[w->len] = '\0';
    out = w->buf;
    *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return out;
}
