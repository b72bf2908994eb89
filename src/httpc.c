/*
 * httpc: libcurl easy and multi handles for the peer requests.
 *
 * SPDX-License-Identifier: MIT
 */
#include "httpc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "invariant.h"
#include "mem.h"

#define BODY_MAX       (1u << 20)
#define CONNECT_MAX_MS 1000
#define STALL_BYTES_S  1024 /* a download slower than this ... */
#define STALL_SECONDS  30   /* ... for this long fails */
#define POLL_SLICE_MS  50

struct httpc {
    CURLM *multi; /* keeps the connection cache between calls */
};

struct body {
    struct httpc_result *res;
    bool too_big;
};

void httpc_global_init(void)
{
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct httpc *httpc_new(void)
{
    struct httpc *h = bn_calloc(1, sizeof(*h));

    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        bn_panic("curl_multi_init: out of memory");
    }
    (void)curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
    return h;
}

void httpc_free(struct httpc *h)
{
    if (h != NULL) {
        curl_multi_cleanup(h->multi);
        free(h);
    }
}

void httpc_result_clear(struct httpc_result *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    struct httpc_result *r = b->res;
    size_t n = size * nmemb;

    if (r->len + n > BODY_MAX) {
        b->too_big = true;
        return 0; /* aborts the transfer */
    }
    r->body = bn_realloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static CURL *easy_new(const char *url, unsigned timeout_ms, struct body *b)
{
    CURL *e = curl_easy_init();

    if (e == NULL) {
        bn_panic("curl_easy_init: out of memory");
    }
    (void)curl_easy_setopt(e, CURLOPT_URL, url);
    (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    (void)curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(timeout_ms < CONNECT_MAX_MS ? timeout_ms : CONNECT_MAX_MS));
    (void)curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    (void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    (void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
    (void)curl_easy_setopt(e, CURLOPT_PRIVATE, b);
    return e;
}

static void finish(CURL *e, CURLcode cc, struct body *b)
{
    long status = 0;

    if (cc == CURLE_OK) {
        (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        b->res->status = (int)status;
    } else {
        b->res->status = 0;
        bn_errmsg_printf(b->res->errmsg, "%s",
                         b->too_big ? "the answer is too large"
                                    : curl_easy_strerror(cc));
    }
}

void httpc_get_many(struct httpc *h, const char *const *urls, size_t n,
                    unsigned timeout_ms, httpc_enough_fn enough, void *arg,
                    struct httpc_result *out)
{
    CURL **easy = bn_calloc(n > 0 ? n : 1, sizeof(*easy));
    struct body *bodies = bn_calloc(n > 0 ? n : 1, sizeof(*bodies));
    int64_t deadline = bn_clock_mono_ms() + timeout_ms;
    size_t left = n;
    bool stop = false;

    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        bn_errmsg_printf(out[i].errmsg, "no answer in time");
        bodies[i].res = &out[i];
        easy[i] = easy_new(urls[i], timeout_ms, &bodies[i]);
        (void)curl_multi_add_handle(h->multi, easy[i]);
    }
    while (left > 0 && !stop && bn_clock_mono_ms() < deadline) {
        int running = 0;
        int queued;
        CURLMsg *m;

        (void)curl_multi_perform(h->multi, &running);
        while ((m = curl_multi_info_read(h->multi, &queued)) != NULL) {
            struct body *b = NULL;
            size_t i;

            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &b);
            i = (size_t)(b - bodies);
            finish(m->easy_handle, m->data.result, b);
            (void)curl_multi_remove_handle(h->multi, m->easy_handle);
            curl_easy_cleanup(m->easy_handle);
            easy[i] = NULL;
            left--;
            if (enough != NULL && enough(arg, i, &out[i])) {
                stop = true;
            }
        }
        if (left > 0 && !stop) {
            int64_t wait = deadline - bn_clock_mono_ms();

            (void)curl_multi_poll(h->multi, NULL, 0,
                                  (int)(wait < POLL_SLICE_MS
                                            ? (wait > 0 ? wait : 0)
                                            : POLL_SLICE_MS),
                                  NULL);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (easy[i] != NULL) {
            (void)curl_multi_remove_handle(h->multi, easy[i]);
            curl_easy_cleanup(easy[i]);
        }
    }
    free(easy);
    free(bodies);
}

int httpc_request(const char *method, const char *url, const char *json,
                  unsigned timeout_ms, struct httpc_result *out)
{
    struct body b = {out, false};
    struct curl_slist *hdrs = NULL;
    CURL *e;
    CURLcode cc;

    memset(out, 0, sizeof(*out));
    e = easy_new(url, timeout_ms, &b);
    (void)curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (json != NULL) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        (void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
        (void)curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
    }
    cc = curl_easy_perform(e);
    finish(e, cc, &b);
    curl_easy_cleanup(e);
    curl_slist_free_all(hdrs);
    return out->status != 0 ? 0 : BN_EUNAVAIL;
}

static size_t on_file(char *data, size_t size, size_t nmemb, void *arg)
{
    FILE *f = arg;

    return fwrite(data, size, nmemb, f) * size;
}

int httpc_download(const char *url, const char *path, unsigned timeout_ms,
                   uint64_t *bytes, char errmsg[BN_ERRMSG_SIZE])
{
    FILE *f;
    CURL *e;
    CURLcode cc;
    long status = 0;
    curl_off_t got = 0;
    int rc = 0;

    f = fopen(path, "wbx");
    if (f == NULL && errno == EEXIST) {
        (void)unlink(path);
        f = fopen(path, "wbx");
    }
    if (f == NULL) {
        bn_errmsg_printf(errmsg, "create %.200s: %s", path, strerror(errno));
        return BN_EIO;
    }
    e = curl_easy_init();
    if (e == NULL) {
        bn_panic("curl_easy_init: out of memory");
    }
    (void)curl_easy_setopt(e, CURLOPT_URL, url);
    (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    (void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_MAX_MS);
    (void)curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)STALL_BYTES_S);
    (void)curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)STALL_SECONDS);
    (void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_file);
    (void)curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    cc = curl_easy_perform(e);
    if (cc == CURLE_OK) {
        (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        (void)curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &got);
    }
    curl_easy_cleanup(e);
    if (cc != CURLE_OK) {
        bn_errmsg_printf(errmsg, "GET %.200s: %s", url, curl_easy_strerror(cc));
        rc = BN_EUNAVAIL;
    } else if (status != 200) {
        bn_errmsg_printf(errmsg, "GET %.200s: HTTP %ld", url, status);
        rc = BN_EUNAVAIL;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        if (rc == 0) {
            bn_errmsg_printf(errmsg, "write %.200s: %s", path, strerror(errno));
            rc = BN_EIO;
        }
    }
    if (fclose(f) != 0 && rc == 0) {
        bn_errmsg_printf(errmsg, "close %.200s: %s", path, strerror(errno));
        rc = BN_EIO;
    }
    if (rc != 0) {
        (void)unlink(path);
        return rc;
    }
    *bytes = (uint64_t)got;
    return 0;
}
