/*
 * errcode: lookups over the BN_ERR_MAP table.
 *
 * SPDX-License-Identifier: MIT
 */
#include "errcode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
    int code;
    const char *name;
    int status;
    const char *text;
};

static const struct err_row rows[] = {
#define BN_ERR_ROW(e, v, name, status, text) {v, name, status, text},
    BN_ERR_MAP(BN_ERR_ROW)
#undef BN_ERR_ROW
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == BN_ERR_COUNT,
               "BN_ERR_COUNT out of date");

static const struct err_row *find(int rc)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].code == rc) {
            return &rows[i];
        }
    }
    return NULL;
}

const char *bn_err_name(int rc)
{
    const struct err_row *r = find(rc);

    return r != NULL ? r->name : "internal";
}

int bn_err_status(int rc)
{
    const struct err_row *r = find(rc);

    return r != NULL ? r->status : 500;
}

const char *bn_err_text(int rc)
{
    const struct err_row *r = find(rc);

    return r != NULL ? r->text : "internal error";
}

int bn_err_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return rows[i].code;
        }
    }
    return 0;
}

bool bn_err_apply_fatal(int rc)
{
    switch (rc) {
#define BN_ERR_FATAL_CASE(e) case e:
        BN_ERR_APPLY_FATAL(BN_ERR_FATAL_CASE)
#undef BN_ERR_FATAL_CASE
        return true;
    default:
        return false;
    }
}

void bn_errmsg_wrapf(char errmsg[BN_ERRMSG_SIZE], const char *fmt, ...)
{
    char prefix[BN_ERRMSG_SIZE];
    char tail[BN_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(tail, errmsg, BN_ERRMSG_SIZE);
    tail[BN_ERRMSG_SIZE - 1] = '\0';
    /* "prefix: tail", truncated to fit. */
    size_t n = strlen(prefix);
    memcpy(errmsg, prefix, n + 1);
    if (tail[0] != '\0' && n + 2 < BN_ERRMSG_SIZE) {
        size_t room = BN_ERRMSG_SIZE - n - 3;
        size_t t = strnlen(tail, room);
        errmsg[n] = ':';
        errmsg[n + 1] = ' ';
        memcpy(errmsg + n + 2, tail, t);
        errmsg[n + 2 + t] = '\0';
    }
}

void bn_errmsg_printf(char errmsg[BN_ERRMSG_SIZE], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(errmsg, BN_ERRMSG_SIZE, fmt, ap);
    va_end(ap);
}
