/*
 * lincheck: check that a history of register operations (JSON lines, as
 * histgen writes them) is linearizable, key by key.
 *
 *   lincheck [--max-states N] [--max-ms MS] [FILE]
 *
 * Reads FILE (or standard input when FILE is missing or "-"), prints one
 * line per key and, for a key that is not linearizable, the operation the
 * search could not get past with the longest linearizable prefix before it
 * and the operations pending then. Exit status: 0 linearizable, 1 not
 * linearizable, 2 bad usage or input (an empty history too), 3 unknown (the
 * search ran out of states or time before it could decide).
 *
 * SPDX-License-Identifier: MIT
 */
#include "lincheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lincheck [--max-states N] [--max-ms MS] [FILE]\n"
            "  Checks a JSON-lines history (FILE or stdin) key by key.\n"
            "  --max-states N  memoized states per key (default %d)\n"
            "  --max-ms MS     time for the whole check (default %d)\n"
            "Exit: 0 linearizable, 1 not, 2 bad input, 3 unknown.\n",
            LINCHECK_MAX_STATES_DEFAULT, LINCHECK_MAX_MS_DEFAULT);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || s[0] == '-') {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct lincheck_options o = {0};
    struct lincheck_report rep;
    struct lincheck_history *h;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";
    const char *path = NULL;
    FILE *f = stdin;
    enum lincheck_verdict v;
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((strcmp(a, "--max-states") == 0 || strcmp(a, "--max-ms") == 0) &&
            i + 1 < argc) {
            uint64_t *dst =
                strcmp(a, "--max-states") == 0 ? &o.max_states : &o.max_ms;

            if (parse_u64(argv[++i], dst) != 0) {
                fprintf(stderr, "lincheck: %s: not a positive integer: %s\n", a,
                        argv[i]);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            usage(stderr);
            return 2;
        } else if (path == NULL) {
            path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (path != NULL && strcmp(path, "-") != 0) {
        f = fopen(path, "r");
        if (f == NULL) {
            fprintf(stderr, "lincheck: %s: %s\n", path, strerror(errno));
            return 2;
        }
    }
    h = lincheck_history_new();
    rc = lincheck_history_read(h, f, errmsg);
    if (f != stdin) {
        (void)fclose(f);
    }
    if (rc != 0) {
        fprintf(stderr, "lincheck: %s: %s\n", path != NULL ? path : "stdin",
                errmsg);
        lincheck_history_free(h);
        return 2;
    }
    if (lincheck_history_count(h) == 0) {
        fprintf(stderr, "lincheck: %s: no operations\n",
                path != NULL ? path : "stdin");
        lincheck_history_free(h);
        return 2;
    }
    v = lincheck_check(h, &o, &rep);
    lincheck_report_print(&rep, stdout);
    printf("lincheck: %zu ops on %zu keys: %s\n", lincheck_history_count(h),
           rep.n_keys, lincheck_verdict_name(v));
    lincheck_report_free(&rep);
    lincheck_history_free(h);
    return (int)v;
}
