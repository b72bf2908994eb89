/*
 * jsonw: a JSON text writer for the hot answers (inode status, listings).
 *
 * Building a jansson tree for every inode costs an allocation per member;
 * the writer appends to one growing buffer instead. It writes what
 * json_dumps(..., JSON_COMPACT) writes: no spaces, strings escaped the
 * same way ('"', '\\', control characters; '/' and non-ASCII left as
 * they are), so the two can be mixed and compared. Bytes that are not
 * valid UTF-8 are written as U+FFFD. A writer is used by one thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_JSONW_H
#define BANYAN_API_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct jsonw {
    char *buf; /* owned until jsonw_finish() */
    size_t len;
    size_t cap;
};

/* Start an empty text with room for @cap bytes. */
void jsonw_init(struct jsonw *w, size_t cap);

/* Append @n bytes as they are (punctuation, literals). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

/* Append a literal NUL-terminated text as it is. */
void jsonw_lit(struct jsonw *w, const char *s);

/* Append @s as a JSON string ("" for NULL). */
void jsonw_str(struct jsonw *w, const char *s);

/* Append a number. */
void jsonw_u64(struct jsonw *w, uint64_t v);
void jsonw_i64(struct jsonw *w, int64_t v);

/* The text, NUL-terminated, of *len bytes; free it with free(). The
 * writer is empty afterwards. */
char *jsonw_finish(struct jsonw *w, size_t *len);

/* The length of the valid UTF-8 sequence at @s (at most @len bytes), or 0
 * when it is not one (RFC 3629 §4: no overlongs, no surrogates). */
size_t jsonw_utf8_seq(const unsigned char *s, size_t len);

#endif /* BANYAN_API_JSONW_H */
