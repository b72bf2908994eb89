/*
 * mem: the allocator family. Out of memory is not an error banyan recovers
 * from: these functions log the size and the caller's file:line and abort.
 * Memory is bounded by limits instead (cache budget, body cap, page size).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_MEM_H
#define BANYAN_SRC_MEM_H

#include <stddef.h>

#define bn_malloc(n)     bn__malloc((n), __FILE__, __LINE__)
#define bn_calloc(n, sz) bn__calloc((n), (sz), __FILE__, __LINE__)
#define bn_realloc(p, n) bn__realloc((p), (n), __FILE__, __LINE__)
#define bn_strdup(s)     bn__strdup((s), __FILE__, __LINE__)
#define bn_strndup(s, n) bn__strndup((s), (n), __FILE__, __LINE__)

/* Never return NULL (except bn_strdup(NULL), which returns NULL). Free with
 * free(). Any thread. */
void *bn__malloc(size_t n, const char *file, int line);
void *bn__calloc(size_t n, size_t sz, const char *file, int line);
void *bn__realloc(void *p, size_t n, const char *file, int line);
char *bn__strdup(const char *s, const char *file, int line);
char *bn__strndup(const char *s, size_t n, const char *file, int line);

#endif /* BANYAN_SRC_MEM_H */
