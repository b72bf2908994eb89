/*
 * op: the rows of OP_MAP as data, indexed by id, and the lookups.
 *
 * SPDX-License-Identifier: MIT
 */
#include "op.h"

#include <stdio.h>
#include <string.h>

/* Every id fits the table. Two rows with one id would initialise one
 * element twice, which -Woverride-init (in -Wextra) refuses. */
#define OP__FITS(ID, CODE, ...)                                                \
    _Static_assert(CODE >= 0 && CODE < OP_ID_MAX, "op id of " #ID);
OP_MAP(OP__FITS)
#undef OP__FITS

const struct op_info op_table[OP_ID_MAX] = {
#define OP__ROW(ID, CODE, NAME, KIND, FLAGS, PERM, METRIC, CODEC, APPLY)       \
    [OP_##ID] = {OP_##ID, NAME,           KIND,                                \
                 FLAGS,   OP_PERM_##PERM, OP_METRIC_##METRIC},
    OP_MAP(OP__ROW)
#undef OP__ROW
};

static const char *const perm_names[] = {
    [OP_PERM_NONE] = "none",         [OP_PERM_TRAVERSE] = "traverse",
    [OP_PERM_READ_DIR] = "read-dir", [OP_PERM_WRITE_PARENT] = "write-parent",
    [OP_PERM_OWNER] = "owner",       [OP_PERM_SUPERUSER] = "superuser",
    [OP_PERM_PEER] = "peer",
};

const struct op_info *op_get(int op)
{
    if (op < 0 || op >= OP_ID_MAX || op_table[op].name == NULL) {
        return NULL;
    }
    return &op_table[op];
}

const char *op_name(int op)
{
    const struct op_info *o = op_get(op);

    return o != NULL ? o->name : "unknown";
}

unsigned op_flags(int op)
{
    const struct op_info *o = op_get(op);

    return o != NULL ? o->flags : 0;
}

int op_kind(int op)
{
    const struct op_info *o = op_get(op);

    return o != NULL ? o->kind : 0;
}

int op_perm(int op)
{
    const struct op_info *o = op_get(op);

    return o != NULL ? o->perm : OP_PERM_NONE;
}

const char *op_perm_name(int perm)
{
    if (perm < 0 || (size_t)perm >= sizeof(perm_names) / sizeof(*perm_names)) {
        return "unknown";
    }
    return perm_names[perm];
}

int op_metric(int op)
{
    const struct op_info *o = op_get(op);

    return o != NULL ? o->metric : OP_METRIC_OTHER;
}

int op_from_action(const char *action)
{
    for (int i = 0; i < OP_ID_MAX; i++) {
        if (op_table[i].name != NULL &&
            (op_table[i].flags & OP_F_ACTION) != 0 &&
            strcmp(op_table[i].name, action) == 0) {
            return i;
        }
    }
    return OP_OTHER;
}

void op_list_replicated(char *buf, size_t size)
{
    size_t n = 0;

    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    for (int i = 0; i < OP_ID_MAX; i++) {
        if ((op_table[i].flags & OP_F_REPL) == 0) {
            continue;
        }
        int w = snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "",
                         op_table[i].name);
        if (w < 0 || (size_t)w >= size - n) {
            break;
        }
        n += (size_t)w;
    }
}
