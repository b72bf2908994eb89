/*
 * httpc: the HTTP client by which a node talks to its peers (the only file
 * that includes <curl/curl.h>): leadership confirmations for linearizable
 * reads, the cluster view, and snapshot downloads.
 *
 * A struct httpc keeps its connections open between calls (keep-alive),
 * so a confirmation round costs one request a peer on an open socket. It
 * is used by one thread at a time.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_HTTPC_H
#define BANYAN_SRC_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"

struct httpc;

/* The answer to one request. */
struct httpc_result {
    int status; /* HTTP status, or 0 when there was no answer */
    char *body; /* NUL-terminated, owned; NULL when none */
    size_t len;
    char errmsg[BN_ERRMSG_SIZE]; /* why there was no answer */
};

/* Once per process, before any thread uses httpc. Startup thread. */
void httpc_global_init(void);

/* Returns a new client; free with httpc_free(). */
struct httpc *httpc_new(void);
void httpc_free(struct httpc *h);

/* Called as each request of httpc_get_many() completes, with its index;
 * returns true when the caller has heard enough (the rest are dropped). */
typedef bool (*httpc_enough_fn)(void *arg, size_t i,
                                const struct httpc_result *res);

/* GET the @n @urls at once and wait until every one has answered, @enough
 * said so, or @timeout_ms passed. out[i] gets the answer of urls[i]
 * (status 0 for those that did not answer); clear each with
 * httpc_result_clear(). Bodies are capped at 1 MiB. */
void httpc_get_many(struct httpc *h, const char *const *urls, size_t n,
                    unsigned timeout_ms, httpc_enough_fn enough, void *arg,
                    struct httpc_result *out);

/* A request with a method and a JSON body (NULL for none), with its own
 * connection. Returns 0 and fills @out, or BN_EUNAVAIL when there was no
 * answer. */
int httpc_request(const char *method, const char *url, const char *json,
                  unsigned timeout_ms, struct httpc_result *out);

void httpc_result_clear(struct httpc_result *r);

/* Download @url into the new file @path (fsync'd). Fails unless the
 * answer is 200. @timeout_ms bounds the whole transfer; a transfer that
 * stalls below 1 KiB/s for 30 s fails sooner. Returns 0 and the size in
 * *bytes, or BN_EUNAVAIL / BN_EIO with the reason. Any thread. */
int httpc_download(const char *url, const char *path, unsigned timeout_ms,
                   uint64_t *bytes, char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_HTTPC_H */
