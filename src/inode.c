/*
 * inode: the record of one file or directory, and its encodings.
 *
 * The xattr blob is {u32 count, then count x (u32 klen, key, u32 vlen,
 * value)}, little endian, keys sorted; it is what the store keeps in the
 * xattrs column.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inode.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void inode_clear(struct inode *ino)
{
    free(ino->name);
    free(ino->owner);
    free(ino->group);
    for (size_t i = 0; i < ino->n_xattrs; i++) {
        free(ino->xattrs[i].key);
        free(ino->xattrs[i].value);
    }
    free(ino->xattrs);
    memset(ino, 0, sizeof(*ino));
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? bn_strdup(s) : NULL;
}

void inode_copy(struct inode *dst, const struct inode *src)
{
    *dst = *src;
    dst->name = dup_or_null(src->name);
    dst->owner = dup_or_null(src->owner);
    dst->group = dup_or_null(src->group);
    dst->xattrs = NULL;
    if (src->n_xattrs > 0) {
        dst->xattrs = bn_calloc(src->n_xattrs, sizeof(*dst->xattrs));
        for (size_t i = 0; i < src->n_xattrs; i++) {
            dst->xattrs[i].key = bn_strdup(src->xattrs[i].key);
            dst->xattrs[i].value = dup_or_null(src->xattrs[i].value);
        }
    }
}

static size_t str_mem(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

size_t inode_mem_size(const struct inode *ino)
{
    size_t n = sizeof(*ino) + str_mem(ino->name) + str_mem(ino->owner) +
               str_mem(ino->group) + ino->n_xattrs * sizeof(struct xattr);
    for (size_t i = 0; i < ino->n_xattrs; i++) {
        n += str_mem(ino->xattrs[i].key) + str_mem(ino->xattrs[i].value);
    }
    return n;
}

/* Index of @key, or of where it would go (with *found false). */
static size_t xattr_find(const struct inode *ino, const char *key, bool *found)
{
    size_t lo = 0;
    size_t hi = ino->n_xattrs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ino->xattrs[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = false;
    return lo;
}

int inode_xattr_set(struct inode *ino, const char *key, const char *value)
{
    bool found;
    size_t i = xattr_find(ino, key, &found);
    if (found) {
        free(ino->xattrs[i].value);
        if (value != NULL) {
            ino->xattrs[i].value = bn_strdup(value);
            return 0;
        }
        free(ino->xattrs[i].key);
        memmove(&ino->xattrs[i], &ino->xattrs[i + 1],
                (ino->n_xattrs - i - 1) * sizeof(*ino->xattrs));
        ino->n_xattrs--;
        if (ino->n_xattrs == 0) {
            free(ino->xattrs);
            ino->xattrs = NULL;
        }
        return 0;
    }
    if (value == NULL) {
        return 0;
    }
    if (ino->n_xattrs >= INODE_XATTR_MAX) {
        return BN_EINVAL;
    }
    ino->xattrs =
        bn_realloc(ino->xattrs, (ino->n_xattrs + 1) * sizeof(*ino->xattrs));
    memmove(&ino->xattrs[i + 1], &ino->xattrs[i],
            (ino->n_xattrs - i) * sizeof(*ino->xattrs));
    ino->xattrs[i].key = bn_strdup(key);
    ino->xattrs[i].value = bn_strdup(value);
    ino->n_xattrs++;
    return 0;
}

const char *inode_xattr_get(const struct inode *ino, const char *key)
{
    bool found;
    size_t i = xattr_find(ino, key, &found);
    return found ? ino->xattrs[i].value : NULL;
}

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
    return p + 4;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

unsigned char *inode_xattrs_encode(const struct inode *ino, size_t *len)
{
    if (ino->n_xattrs == 0) {
        *len = 0;
        return NULL;
    }
    size_t n = 4;
    for (size_t i = 0; i < ino->n_xattrs; i++) {
        n += 8 + strlen(ino->xattrs[i].key) + strlen(ino->xattrs[i].value);
    }
    unsigned char *buf = bn_malloc(n);
    unsigned char *p = put_u32(buf, (uint32_t)ino->n_xattrs);
    for (size_t i = 0; i < ino->n_xattrs; i++) {
        const char *k = ino->xattrs[i].key;
        const char *v = ino->xattrs[i].value;
        size_t kl = strlen(k);
        size_t vl = strlen(v);
        p = put_u32(p, (uint32_t)kl);
        memcpy(p, k, kl);
        p += kl;
        p = put_u32(p, (uint32_t)vl);
        memcpy(p, v, vl);
        p += vl;
    }
    *len = n;
    return buf;
}

/* Take a length-prefixed string of at most @max bytes without NULs. */
static char *take_str(const unsigned char **p, const unsigned char *end,
                      size_t max)
{
    if (end - *p < 4) {
        return NULL;
    }
    uint32_t n = get_u32(*p);
    *p += 4;
    if (n > max || (size_t)(end - *p) < n || memchr(*p, 0, n) != NULL) {
        return NULL;
    }
    char *s = bn_strndup((const char *)*p, n);
    *p += n;
    return s;
}

int inode_xattrs_decode(struct inode *ino, const unsigned char *buf, size_t len)
{
    if (len == 0) {
        return 0;
    }
    const unsigned char *p = buf;
    const unsigned char *end = buf + len;
    if (len < 4) {
        return BN_ECORRUPT;
    }
    uint32_t count = get_u32(p);
    p += 4;
    if (count > INODE_XATTR_MAX) {
        return BN_ECORRUPT;
    }
    for (uint32_t i = 0; i < count; i++) {
        char *k = take_str(&p, end, INODE_XATTR_KEY_MAX);
        char *v = k != NULL ? take_str(&p, end, INODE_XATTR_VALUE_MAX) : NULL;
        if (v == NULL || inode_xattr_set(ino, k, v) != 0) {
            free(k);
            free(v);
            return BN_ECORRUPT;
        }
        free(k);
        free(v);
    }
    return p == end ? 0 : BN_ECORRUPT;
}

void inode_mode_format(uint32_t mode, char out[8])
{
    unsigned m = mode & INODE_MODE_MASK;
    out[0] = (char)('0' + ((m >> 9) & 7));
    out[1] = (char)('0' + ((m >> 6) & 7));
    out[2] = (char)('0' + ((m >> 3) & 7));
    out[3] = (char)('0' + (m & 7));
    out[4] = '\0';
}

int inode_mode_parse(const char *s, uint32_t *mode)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 4) {
        return BN_EINVAL;
    }
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '7') {
            return BN_EINVAL;
        }
        m = m * 8 + (uint32_t)(s[i] - '0');
    }
    if (m > INODE_MODE_MASK) {
        return BN_EINVAL;
    }
    *mode = m;
    return 0;
}
