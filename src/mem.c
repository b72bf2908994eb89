/*
 * mem: allocation that aborts on failure (Redis zmalloc, h2o_fatal).
 *
 * SPDX-License-Identifier: MIT
 */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n, const char *file, int line)
{
    (void)fprintf(stderr,
                  "{\"level\":\"error\",\"sub\":\"mem\",\"msg\":\"out of "
                  "memory allocating %zu bytes at %s:%d\"}\n",
                  n, file, line);
    abort();
}

void *bn__malloc(size_t n, const char *file, int line)
{
    void *p = malloc(n == 0 ? 1 : n);

    if (p == NULL) {
        oom(n, file, line);
    }
    return p;
}

void *bn__calloc(size_t n, size_t sz, const char *file, int line)
{
    void *p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

    if (p == NULL) {
        oom(n * sz, file, line);
    }
    return p;
}

void *bn__realloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n == 0 ? 1 : n);

    if (q == NULL) {
        oom(n, file, line);
    }
    return q;
}

char *bn__strdup(const char *s, const char *file, int line)
{
    size_t len;
    char *p;

    if (s == NULL) {
        return NULL;
    }
    len = strlen(s);
    p = bn__malloc(len + 1, file, line);
    memcpy(p, s, len + 1);
    return p;
}

char *bn__strndup(const char *s, size_t n, const char *file, int line)
{
    char *p = bn__malloc(n + 1, file, line);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
