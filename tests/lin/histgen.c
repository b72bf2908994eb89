/*
 * histgen: record a history of concurrent operations on a few banyan paths,
 * for lincheck.
 *
 *   histgen --nodes URL[,URL...] [--clients N] [--keys K] [--seconds S]
 *           [--prefix /lin] [--timeout-ms MS] [--seed N] --out FILE
 *
 * Each path PREFIX/k<i> is a register: absent, or a file whose size is the
 * value. Client threads loop until --seconds have passed: each picks a key
 * and an operation (read 50%, write 30%, create 10%, delete 10%), sends it to
 * its node (client i starts on node i mod n; a 307 is followed to its
 * Location with the same method and body, at most 3 times; a 503 or a
 * connection error moves the client to the next node), and appends one JSON
 * line to FILE:
 *
 *   {"client":3,"key":"/lin/k1","op":"write","value":3000042,
 *    "invoke_ns":...,"complete_ns":...,"outcome":"ok","result":null,
 *    "status":200,"node":"http://127.0.0.1:8420","error":null}
 *
 * invoke_ns and complete_ns come from CLOCK_MONOTONIC just before the first
 * byte is sent and just after the answer. Values are unique: client * 10^6
 * plus a counter. Each mutation goes over a new connection, so libcurl
 * never resends one by itself (it retries a request once when a reused
 * connection turns out dead), and "nothing was sent" can be told apart
 * from "sent, no answer". The outcome mapping (see tests/lin/README.md):
 *
 *   read    GET    200 -> ok, .size; 404 -> ok, absent
 *   write   PATCH  {"size":v}  200 -> ok; 404 -> ok, not_found
 *   create  PUT    {"type":"file","size":v}  201 -> ok;
 *                  409 already_exists -> ok, already_exists
 *   delete  DELETE 204 -> ok; 404 -> ok, not_found
 *   503 unavailable whose detail says the write was not proposed, 307 after
 *   3 hops, a refused connection or nothing sent -> fail; a timeout, a
 *   reset after sending, any other 5xx -> info. Any other answer is
 *   "unexpected": recorded as fail, counted, and the exit status is 1.
 *
 * Before recording, the paths are made absent (PREFIX is created and each
 * key deleted until a node answers 204 or 404), so the history starts from
 * the state lincheck assumes. At the end, one JSON line of counts goes to
 * standard output. Exit: 0, 1 (setup failed or unexpected answers), 2
 * (usage).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define HG_API         "/api/v1/paths"
#define HG_HOPS_MAX    3     /* redirects followed per operation */
#define HG_BODY_MAX    65536 /* bytes of an answer kept */
#define HG_URL_MAX     1024
#define HG_NODES_MAX   16
#define HG_CLIENTS_MAX 64
#define HG_KEYS_MAX    1000
#define HG_BACKOFF_MS  50 /* pause after a 503 or a connection error */
#define HG_VALUE_MULT  1000000

/* Words of a 503 detail that say the write was never proposed (src/repl.c
 * and api/http_server.c). Anything else, or "may still", is indeterminate.
 * Rewording those messages? Update this list. */
static const char *const not_proposed[] = {
    "not the leader",
    "could not be proposed",
    "cannot accept writes",
    "was not proposed",
    "no leader",
};

enum hg_kind {
    HG_READ,
    HG_WRITE,
    HG_CREATE,
    HG_DELETE,
    HG_KINDS,
};

enum hg_outcome {
    HG_OK,
    HG_FAIL,
    HG_INFO,
    HG_OUTCOMES,
};

static const char *const kind_names[] = {"read", "write", "create", "delete"};
static const char *const outcome_names[] = {"ok", "fail", "info"};

struct hg_cfg {
    char *nodes[HG_NODES_MAX];
    size_t n_nodes;
    int clients;
    int keys;
    double seconds;
    const char *prefix;
    const char *out;
    long timeout_ms;
    uint64_t seed;
};

/* One HTTP exchange, after the redirects. */
struct hg_answer {
    CURLcode cc;
    long status; /* 0: no answer */
    bool sent;   /* some byte of the request left for the last node */
    char node[HG_URL_MAX];
    char *body;
    size_t len;
    char code[64]; /* problem+json "code" */
    char detail[256];
};

struct hg_client {
    int id;
    pthread_t thread;
    CURL *curl;
    uint64_t rng;
    size_t node;
    uint64_t counter;
    struct curl_slist *hdr_json;
    struct curl_slist *hdr_patch;
    char *body; /* the answer being received */
    size_t len;
    uint64_t count[HG_KINDS][HG_OUTCOMES];
    uint64_t unexpected;
};

static struct hg_cfg cfg = {
    .clients = 4,
    .keys = 4,
    .seconds = 10,
    .prefix = "/lin",
    .timeout_ms = 5000,
    .seed = 1,
};
static FILE *out_file;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t deadline_ns;
static atomic_int write_error;

/* ---- helpers ------------------------------------------------------------ */

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* xorshift64* (Vigna 2016). */
static uint64_t rnd(struct hg_client *c)
{
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 0x2545f4914f6cdd1dull;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL) {
        fprintf(stderr, "histgen: out of memory\n");
        abort();
    }
    return p;
}

static void key_path(char *buf, size_t size, int k)
{
    (void)snprintf(buf, size, "%s/k%d", cfg.prefix, k);
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct hg_client *c = arg;
    size_t len = size * n;
    size_t keep = len;

    if (c->len + keep > HG_BODY_MAX) {
        keep = HG_BODY_MAX - c->len;
    }
    memcpy(c->body + c->len, data, keep);
    c->len += keep;
    return len;
}

/* Read "code" and "detail" of a problem+json answer, or the whole body. */
static void parse_problem(struct hg_answer *a)
{
    json_t *o = json_loadb(a->body, a->len, 0, NULL);
    const char *s;

    a->code[0] = '\0';
    a->detail[0] = '\0';
    if (o == NULL) {
        return;
    }
    s = json_string_value(json_object_get(o, "code"));
    if (s != NULL) {
        (void)snprintf(a->code, sizeof(a->code), "%s", s);
    }
    s = json_string_value(json_object_get(o, "detail"));
    if (s != NULL) {
        (void)snprintf(a->detail, sizeof(a->detail), "%s", s);
    }
    json_decref(o);
}

/* Send @method @path (with @body, if any) to the client's node, following
 * 307s; fill @a. @fresh: a new connection, never reused afterwards, so that
 * libcurl never resends a mutation on its own. */
static void exchange(struct hg_client *c, const char *method, const char *path,
                     const char *body, int64_t deadline, bool fresh,
                     struct hg_answer *a)
{
    char url[HG_URL_MAX];

    memset(a, 0, sizeof(*a));
    (void)snprintf(url, sizeof(url), "%s%s%s", cfg.nodes[c->node], HG_API,
                   path);
    (void)snprintf(a->node, sizeof(a->node), "%s", cfg.nodes[c->node]);
    for (int hop = 0;; hop++) {
        int64_t left_ms = (deadline - mono_ns()) / 1000000;
        curl_off_t req_size = 0;
        char *loc = NULL;

        if (left_ms < 1) {
            left_ms = 1;
        }
        curl_easy_reset(c->curl);
        c->len = 0;
        (void)curl_easy_setopt(c->curl, CURLOPT_URL, url);
        (void)curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        (void)curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)left_ms);
        (void)curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                               left_ms < 2000 ? (long)left_ms : 2000L);
        (void)curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
        (void)curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
        (void)curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
        (void)curl_easy_setopt(c->curl, CURLOPT_FORBID_REUSE, fresh ? 1L : 0L);
        if (strcmp(method, "GET") != 0) {
            (void)curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
        }
        if (body != NULL) {
            (void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
            (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER,
                                   strcmp(method, "PATCH") == 0 ? c->hdr_patch
                                                                : c->hdr_json);
        }
        a->cc = curl_easy_perform(c->curl);
        (void)curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &req_size);
        a->sent = req_size > 0;
        a->status = 0;
        if (a->cc == CURLE_OK) {
            (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
                                    &a->status);
        }
        if ((a->status == 307 || a->status == 308) && hop < HG_HOPS_MAX &&
            curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc) ==
                CURLE_OK &&
            loc != NULL && strlen(loc) < sizeof(url)) {
            /* Our node for the next hop: the scheme and authority. */
            const char *p = strstr(loc, "://");
            const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;
            size_t n = slash != NULL ? (size_t)(slash - loc) : strlen(loc);

            (void)snprintf(a->node, sizeof(a->node), "%.*s", (int)n, loc);
            (void)snprintf(url, sizeof(url), "%s", loc);
            continue;
        }
        break;
    }
    c->body[c->len] = '\0';
    a->body = c->body;
    a->len = c->len;
    if (a->status >= 300) {
        parse_problem(a);
    }
}

/* ---- the mapping -------------------------------------------------------- */

struct hg_record {
    enum hg_outcome outcome;
    bool unexpected;
    /* ok results: a read's value (absent when !has_value), a mutation's
     * result (NULL: ok) */
    bool has_value;
    int64_t value;
    const char *result;
    char error[320];
};

static bool says_not_proposed(const char *detail)
{
    if (strstr(detail, "may still") != NULL) {
        return false;
    }
    for (size_t i = 0; i < sizeof(not_proposed) / sizeof(not_proposed[0]);
         i++) {
        if (strstr(detail, not_proposed[i]) != NULL) {
            return true;
        }
    }
    return false;
}

static void set_unexpected(struct hg_record *r, const struct hg_answer *a)
{
    r->outcome = HG_FAIL;
    r->unexpected = true;
    (void)snprintf(r->error, sizeof(r->error), "unexpected %ld %s: %.200s",
                   a->status, a->code, a->detail);
}

/* A read's 200: the file's size. */
static void read_value(struct hg_record *r, const struct hg_answer *a)
{
    json_t *o = json_loadb(a->body, a->len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    const json_t *size = json_object_get(o, "size");

    if (o == NULL || type == NULL || strcmp(type, "file") != 0 ||
        !json_is_integer(size)) {
        r->outcome = HG_FAIL;
        r->unexpected = true;
        (void)snprintf(r->error, sizeof(r->error),
                       "unexpected 200 body: %.200s", a->body);
    } else {
        r->outcome = HG_OK;
        r->has_value = true;
        r->value = (int64_t)json_integer_value(size);
    }
    json_decref(o);
}

static void classify(enum hg_kind kind, const struct hg_answer *a,
                     struct hg_record *r)
{
    long st = a->status;

    memset(r, 0, sizeof(*r));
    if (a->cc != CURLE_OK) {
        (void)snprintf(r->error, sizeof(r->error), "%s",
                       curl_easy_strerror(a->cc));
        r->outcome = a->cc == CURLE_COULDNT_CONNECT ||
                             a->cc == CURLE_COULDNT_RESOLVE_HOST || !a->sent
                         ? HG_FAIL
                         : HG_INFO;
        return;
    }
    if (st >= 300) {
        (void)snprintf(r->error, sizeof(r->error), "%s%s%.200s", a->code,
                       a->detail[0] != '\0' ? ": " : "", a->detail);
    }
    if (st == 307 || st == 308) {
        (void)snprintf(r->error, sizeof(r->error),
                       "still redirected after %d hops", HG_HOPS_MAX);
        r->outcome = HG_FAIL; /* every node redirected: none proposed it */
        return;
    }
    if (st == 503) {
        r->outcome = kind == HG_READ || (strcmp(a->code, "unavailable") == 0 &&
                                         says_not_proposed(a->detail))
                         ? HG_FAIL
                         : HG_INFO;
        return;
    }
    if (st >= 500) {
        r->outcome = HG_INFO;
        return;
    }
    r->outcome = HG_OK;
    switch (kind) {
    case HG_READ:
        if (st == 200) {
            read_value(r, a);
        } else if (st == 404 && strcmp(a->code, "not_found") == 0) {
            r->has_value = false;
        } else {
            set_unexpected(r, a);
        }
        break;
    case HG_WRITE:
    case HG_DELETE:
        if (st == 200 || st == 204) {
            r->result = NULL;
        } else if (st == 404 && strcmp(a->code, "not_found") == 0) {
            r->result = "not_found";
        } else {
            set_unexpected(r, a);
        }
        break;
    case HG_CREATE:
        if (st == 200 || st == 201) {
            r->result = NULL;
        } else if (st == 409 && strcmp(a->code, "already_exists") == 0) {
            r->result = "already_exists";
        } else {
            set_unexpected(r, a);
        }
        break;
    case HG_KINDS:
        break;
    }
}

/* ---- recording ---------------------------------------------------------- */

static void record(struct hg_client *c, enum hg_kind kind, const char *key,
                   int64_t value, int64_t t_invoke, int64_t t_complete,
                   const struct hg_answer *a, const struct hg_record *r)
{
    json_t *o = json_object();
    json_t *result = json_null();
    char *line;

    if (r->outcome == HG_OK) {
        if (kind == HG_READ) {
            result = r->has_value ? json_integer(r->value) : json_null();
        } else if (r->result != NULL) {
            result = json_string(r->result);
        }
    }
    json_object_set_new(o, "client", json_integer(c->id));
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "op", json_string(kind_names[kind]));
    json_object_set_new(o, "value",
                        kind == HG_WRITE || kind == HG_CREATE
                            ? json_integer(value)
                            : json_null());
    json_object_set_new(o, "invoke_ns", json_integer(t_invoke));
    json_object_set_new(o, "complete_ns", json_integer(t_complete));
    json_object_set_new(o, "outcome", json_string(outcome_names[r->outcome]));
    json_object_set_new(o, "result", result);
    json_object_set_new(o, "status", json_integer(a->status));
    json_object_set_new(o, "node", json_string(a->node));
    json_object_set_new(o, "error",
                        r->error[0] != '\0' &&
                                (r->outcome != HG_OK || r->unexpected)
                            ? json_string(r->error)
                            : json_null());
    line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (line == NULL) {
        fprintf(stderr, "histgen: out of memory\n");
        abort();
    }
    pthread_mutex_lock(&out_mu);
    if (fputs(line, out_file) < 0 || fputc('\n', out_file) < 0) {
        atomic_store(&write_error, 1);
    }
    pthread_mutex_unlock(&out_mu);
    free(line);
    c->count[kind][r->outcome]++;
    if (r->unexpected) {
        c->unexpected++;
        if (c->unexpected <= 3) {
            fprintf(stderr, "histgen: client %d %s %s: %s\n", c->id,
                    kind_names[kind], key, r->error);
        }
    }
}

static enum hg_kind pick_kind(struct hg_client *c)
{
    uint64_t r = rnd(c) % 100;

    return r < 50   ? HG_READ
           : r < 80 ? HG_WRITE
           : r < 90 ? HG_CREATE
                    : HG_DELETE;
}

/* One operation: send, classify, record; move on after a 503 or a
 * connection error. */
static void run_op(struct hg_client *c)
{
    enum hg_kind kind = pick_kind(c);
    char key[HG_URL_MAX / 2];
    char body[96];
    const char *method = "GET";
    const char *b = NULL;
    int64_t value = 0;
    int64_t t0;
    int64_t t1;
    struct hg_answer a;
    struct hg_record r;

    key_path(key, sizeof(key), (int)(rnd(c) % (uint64_t)cfg.keys));
    if (kind == HG_WRITE || kind == HG_CREATE) {
        value = (int64_t)c->id * HG_VALUE_MULT + (int64_t)++c->counter;
    }
    switch (kind) {
    case HG_WRITE:
        method = "PATCH";
        (void)snprintf(body, sizeof(body), "{\"size\":%" PRId64 "}", value);
        b = body;
        break;
    case HG_CREATE:
        method = "PUT";
        (void)snprintf(body, sizeof(body),
                       "{\"type\":\"file\",\"size\":%" PRId64 "}", value);
        b = body;
        break;
    case HG_DELETE:
        method = "DELETE";
        break;
    case HG_READ:
    case HG_KINDS:
        break;
    }
    t0 = mono_ns();
    exchange(c, method, key, b, t0 + cfg.timeout_ms * 1000000, kind != HG_READ,
             &a);
    t1 = mono_ns();
    classify(kind, &a, &r);
    record(c, kind, key, value, t0, t1, &a, &r);
    if (a.cc != CURLE_OK || a.status == 503) {
        c->node = (c->node + 1) % cfg.n_nodes;
        sleep_ms(HG_BACKOFF_MS);
    }
}

static void *client_main(void *arg)
{
    struct hg_client *c = arg;

    while (mono_ns() < deadline_ns) {
        run_op(c);
    }
    return NULL;
}

/* ---- set-up ------------------------------------------------------------- */

/* Send until a node gives one of the two statuses; 0, or -1 at @deadline. */
static int setup_step(struct hg_client *c, const char *method, const char *path,
                      const char *body, long ok1, long ok2, int64_t deadline)
{
    struct hg_answer a;

    while (mono_ns() < deadline) {
        exchange(c, method, path, body, mono_ns() + cfg.timeout_ms * 1000000,
                 true, &a);
        if (a.cc == CURLE_OK && (a.status == ok1 || a.status == ok2)) {
            return 0;
        }
        if (a.cc == CURLE_OK && a.status < 500 && a.status != 307 &&
            a.status != 308) {
            fprintf(stderr, "histgen: set-up: %s %s: %ld %s: %s\n", method,
                    path, a.status, a.code, a.detail);
            return -1;
        }
        c->node = (c->node + 1) % cfg.n_nodes;
        sleep_ms(200);
    }
    fprintf(stderr, "histgen: set-up: %s %s: no answer in time\n", method,
            path);
    return -1;
}

static int setup(struct hg_client *c)
{
    int64_t deadline = mono_ns() + (int64_t)30 * 1000000000;
    char path[HG_URL_MAX / 2];

    if (setup_step(c, "PUT", cfg.prefix,
                   "{\"type\":\"directory\",\"recursive\":true}", 201, 409,
                   deadline) != 0) {
        return -1;
    }
    for (int k = 0; k < cfg.keys; k++) {
        key_path(path, sizeof(path), k);
        if (setup_step(c, "DELETE", path, NULL, 204, 404, deadline) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: histgen --nodes URL[,URL...] --out FILE [--clients N]\n"
               "               [--keys K] [--seconds S] [--prefix /lin]\n"
               "               [--timeout-ms MS] [--seed N]\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_nodes(char *list)
{
    char *p = list;

    while (p != NULL) {
        char *comma = strchr(p, ',');
        size_t len;

        if (comma != NULL) {
            *comma = '\0';
        }
        len = strlen(p);
        while (len > 0 && p[len - 1] == '/') {
            p[--len] = '\0';
        }
        if (len == 0 || len > 200 || cfg.n_nodes == HG_NODES_MAX ||
            strncmp(p, "http://", 7) != 0) {
            return -1;
        }
        cfg.nodes[cfg.n_nodes++] = p;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        char *end;

        if (v == NULL) {
            return -1;
        }
        i++;
        if (strcmp(a, "--nodes") == 0) {
            if (parse_nodes(argv[i]) != 0) {
                return -1;
            }
        } else if (strcmp(a, "--clients") == 0) {
            if (parse_long(v, 1, HG_CLIENTS_MAX, &n) != 0) {
                return -1;
            }
            cfg.clients = (int)n;
        } else if (strcmp(a, "--keys") == 0) {
            if (parse_long(v, 1, HG_KEYS_MAX, &n) != 0) {
                return -1;
            }
            cfg.keys = (int)n;
        } else if (strcmp(a, "--seconds") == 0) {
            errno = 0;
            cfg.seconds = strtod(v, &end);
            if (errno != 0 || end == v || *end != '\0' || !(cfg.seconds > 0) ||
                cfg.seconds > 3600) {
                return -1;
            }
        } else if (strcmp(a, "--prefix") == 0) {
            size_t len = strlen(v);

            if (v[0] != '/' || len < 2 || len > 200 || v[len - 1] == '/') {
                return -1;
            }
            cfg.prefix = v;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            if (parse_long(v, 1, 600000, &cfg.timeout_ms) != 0) {
                return -1;
            }
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_long(v, 0, INT32_MAX, &n) != 0) {
                return -1;
            }
            cfg.seed = (uint64_t)n;
        } else if (strcmp(a, "--out") == 0) {
            cfg.out = v;
        } else {
            return -1;
        }
    }
    return cfg.n_nodes > 0 && cfg.out != NULL ? 0 : -1;
}

static int client_init(struct hg_client *c, int id)
{
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->rng = (cfg.seed + 1) * 0x9e3779b97f4a7c15ull ^
             ((uint64_t)id * 0xbf58476d1ce4e5b9ull);
    if (c->rng == 0) {
        c->rng = 1;
    }
    c->node = (size_t)(id - 1) % cfg.n_nodes;
    c->curl = curl_easy_init();
    c->body = xmalloc(HG_BODY_MAX + 1);
    c->hdr_json = curl_slist_append(NULL, "Content-Type: application/json");
    c->hdr_json = curl_slist_append(c->hdr_json, "Expect:");
    c->hdr_patch =
        curl_slist_append(NULL, "Content-Type: application/merge-patch+json");
    c->hdr_patch = curl_slist_append(c->hdr_patch, "Expect:");
    return c->curl != NULL && c->hdr_json != NULL && c->hdr_patch != NULL ? 0
                                                                          : -1;
}

static void client_close(struct hg_client *c)
{
    curl_slist_free_all(c->hdr_json);
    curl_slist_free_all(c->hdr_patch);
    if (c->curl != NULL) {
        curl_easy_cleanup(c->curl);
    }
    free(c->body);
}

static void print_counts(struct hg_client *cl, double secs)
{
    uint64_t sum[HG_KINDS][HG_OUTCOMES] = {{0}};
    uint64_t tot[HG_OUTCOMES] = {0};
    uint64_t unexpected = 0;
    uint64_t n = 0;

    for (int i = 0; i < cfg.clients; i++) {
        for (int k = 0; k < HG_KINDS; k++) {
            for (int o = 0; o < HG_OUTCOMES; o++) {
                sum[k][o] += cl[i].count[k][o];
                tot[o] += cl[i].count[k][o];
                n += cl[i].count[k][o];
            }
        }
        unexpected += cl[i].unexpected;
    }
    printf("{\"ops\":%" PRIu64 ",\"seconds\":%.2f", n, secs);
    for (int o = 0; o < HG_OUTCOMES; o++) {
        printf(",\"%s\":%" PRIu64, outcome_names[o], tot[o]);
    }
    for (int k = 0; k < HG_KINDS; k++) {
        printf(",\"%s\":{\"ok\":%" PRIu64 ",\"fail\":%" PRIu64
               ",\"info\":%" PRIu64 "}",
               kind_names[k], sum[k][HG_OK], sum[k][HG_FAIL], sum[k][HG_INFO]);
    }
    printf(",\"unexpected\":%" PRIu64 "}\n", unexpected);
}

int main(int argc, char **argv)
{
    struct hg_client *cl;
    int64_t start;
    int rc = 0;

    if (argc == 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (parse_args(argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "histgen: curl_global_init failed\n");
        return 1;
    }
    out_file = fopen(cfg.out, "w");
    if (out_file == NULL) {
        fprintf(stderr, "histgen: %s: %s\n", cfg.out, strerror(errno));
        curl_global_cleanup();
        return 1;
    }
    cl = calloc((size_t)cfg.clients, sizeof(*cl));
    if (cl == NULL) {
        fprintf(stderr, "histgen: out of memory\n");
        abort();
    }
    for (int i = 0; i < cfg.clients; i++) {
        if (client_init(&cl[i], i + 1) != 0) {
            fprintf(stderr, "histgen: cannot set up libcurl\n");
            rc = 1;
        }
    }
    if (rc == 0 && setup(&cl[0]) != 0) {
        rc = 1;
    }
    start = mono_ns();
    deadline_ns = start + (int64_t)(cfg.seconds * 1e9);
    for (int i = 0; rc == 0 && i < cfg.clients; i++) {
        if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]) != 0) {
            fprintf(stderr, "histgen: pthread_create failed\n");
            abort();
        }
    }
    for (int i = 0; rc == 0 && i < cfg.clients; i++) {
        (void)pthread_join(cl[i].thread, NULL);
    }
    if (fclose(out_file) != 0 || atomic_load(&write_error) != 0) {
        fprintf(stderr, "histgen: %s: write error\n", cfg.out);
        rc = 1;
    }
    if (rc == 0) {
        print_counts(cl, (double)(mono_ns() - start) / 1e9);
        for (int i = 0; i < cfg.clients; i++) {
            if (cl[i].unexpected != 0) {
                rc = 1;
            }
        }
    }
    for (int i = 0; i < cfg.clients; i++) {
        client_close(&cl[i]);
    }
    free(cl);
    curl_global_cleanup();
    return rc;
}
