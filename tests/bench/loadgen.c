/*
 * loadgen: a small HTTP/1.1 load generator for banyan's benchmark.
 *
 * It runs one kind of operation for a fixed time over N keep-alive
 * connections (no pipelining: one request in flight per connection), each
 * thread driving its share of the connections from one epoll loop, and
 * prints one JSON line:
 *
 *   {"op":"stat","conns":64,"seconds":5.00,"ops":123,"ops_per_s":24.6,
 *    "p50_ms":0.41,"p99_ms":1.9,"errors":0,"bad_status":0,"issued":123}
 *
 * Every answer's status is checked against the one the operation must
 * get (stat, list, rename, bare, raw: 200; create, mkdir: 201; delete:
 * 204). ops counts the expected answers completed within the time window
 * and the latency percentiles are over them (a log-linear histogram in
 * microseconds, about 3% wide buckets); bad_status counts the other
 * answers (the first few are printed to stderr); errors counts transport
 * failures (refused or reset connections, malformed responses, requests
 * still unanswered when the run ends). issued is the number of numbered
 * items (create/mkdir/delete) handed out, which is what a later delete run
 * needs as its --count. After the window no new request starts; those in
 * flight get --grace-ms to finish (answered, they count in issued only;
 * unanswered, in errors too), then the program ends on its own.
 *
 * Names: create and mkdir make PREFIX/c<slot>-<seq> for the global item
 * number g = seq * conns + slot, so a delete run with the same --conns and
 * --count equal to the create run's "issued" removes exactly those names.
 * rename makes PREFIX/r<conn>-a per connection, then moves it to
 * PREFIX/r<conn>-b and back. stat PATH N stats PATH<k> for random k < N.
 * statmany PREFIX N stats random files of the tree that bulkload makes,
 * PREFIX/d<g/1000>/f<g%1000> for g < N, and listmany PREFIX N lists the
 * first 100 entries of its random directories PREFIX/d<k>.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LG_API           "/api/v1/paths"
#define LG_REQ_MAX       8192  /* bytes of one request */
#define LG_HDR_MAX       16384 /* bytes of one response header block */
#define LG_SAMPLE_MAX    200   /* bytes of a non-2xx body kept for stderr */
#define LG_SAMPLES       3     /* non-2xx answers printed to stderr */
#define LG_HIST_SUB      32    /* sub-buckets per power of two */
#define LG_HIST_N        ((size_t)64 * LG_HIST_SUB)
#define LG_RETRY_US      20000 /* wait before reconnecting after a failure */
#define LG_FILES_PER_DIR 1000  /* bulkload's layout */

enum lg_op {
    OP_STAT,
    OP_LIST,
    OP_CREATE,
    OP_MKDIR,
    OP_RENAME,
    OP_DELETE,
    OP_BARE,
    OP_RAW,
    OP_STATMANY,
    OP_LISTMANY,
};

static const char *const op_names[] = {
    [OP_STAT] = "stat",         [OP_LIST] = "list",
    [OP_CREATE] = "create",     [OP_MKDIR] = "mkdir",
    [OP_RENAME] = "rename",     [OP_DELETE] = "delete",
    [OP_BARE] = "bare",         [OP_RAW] = "raw",
    [OP_STATMANY] = "statmany", [OP_LISTMANY] = "listmany",
};

/* What the run is, shared read-only by the threads. */
struct run {
    enum lg_op op;
    const char *arg;   /* PATH or PREFIX (namespace path) */
    const char *query; /* stat: appended as "?query" ("" for none) */
    uint64_t span;     /* stat, statmany, listmany: number of names */
    uint64_t count;    /* delete: number of items */
    unsigned conns;
    unsigned threads;
    double seconds;
    unsigned grace_ms;
    char host[256];
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int64_t start_us;
    int64_t deadline_us;
    int64_t hard_stop_us;
    _Atomic uint64_t next_item; /* create, mkdir, delete */
    _Atomic int samples_left;
};

enum conn_state {
    CS_IDLE, /* no socket */
    CS_WAIT, /* no socket; reconnect at retry_us */
    CS_CONNECTING,
    CS_SENDING,
    CS_READING,
    CS_DONE, /* nothing more to do */
};

enum body_mode {
    BM_NONE,
    BM_LENGTH,
    BM_CHUNKED,
    BM_CLOSE, /* read until the server closes */
};

enum chunk_state {
    CH_SIZE,
    CH_EXT,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER,
};

struct conn {
    /* the request */
    int64_t sent_us;  /* when the request started */
    int64_t retry_us; /* CS_WAIT: when to reconnect */
    size_t req_len;
    size_t req_off;
    /* the response */
    uint64_t body_left;
    uint64_t chunk_size;
    size_t hdr_len;
    size_t trailer_line;
    size_t sample_len;
    unsigned index;  /* global connection number */
    unsigned served; /* answers on this socket */
    int fd;
    int status;
    int expect; /* the status the request must get */
    enum conn_state state;
    enum body_mode bm;
    enum chunk_state ch;
    bool counted_item;
    bool in_setup; /* rename: the create that precedes the loop */
    bool at_b;     /* rename: the file is at the -b name */
    bool in_body;
    bool close_after;
    bool got_bytes;
    char req[LG_REQ_MAX];
    char hdr[LG_HDR_MAX];
    char sample[LG_SAMPLE_MAX + 1];
};

struct worker {
    struct run *run;
    pthread_t tid;
    int ep;
    struct conn *conns;
    unsigned n;
    uint64_t rng;
    uint64_t ops;
    uint64_t bad_status;
    uint64_t errors;
    int64_t last_done_us;
    uint64_t hist[LG_HIST_N];
    char rbuf[65536];
};

/* calloc that ends the program when memory runs out. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n > 0 ? n : 1, size);

    if (p == NULL) {
        perror("loadgen: calloc");
        abort();
    }
    return p;
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- histogram ----------------------------------------------------------- */

static unsigned hist_index(uint64_t us)
{
    unsigned bits;
    unsigned shift;

    if (us < (uint64_t)2 * LG_HIST_SUB) {
        return (unsigned)us;
    }
    bits = 64 - (unsigned)__builtin_clzll(us);
    shift = bits - 6; /* keep the top 6 bits: 32..63 */
    return shift * LG_HIST_SUB + (unsigned)(us >> shift);
}

/* The midpoint of bucket @i, in microseconds. */
static double hist_value(unsigned i)
{
    unsigned shift;
    uint64_t lo;

    if (i < 2 * LG_HIST_SUB) {
        return (double)i;
    }
    shift = i / LG_HIST_SUB - 1;
    lo = (uint64_t)(i - shift * LG_HIST_SUB) << shift;
    return (double)lo + (double)((uint64_t)1 << shift) / 2.0;
}

static double hist_percentile(const uint64_t *h, uint64_t total, double pct)
{
    uint64_t rank = (uint64_t)((double)total * pct / 100.0 + 0.5);
    uint64_t seen = 0;

    if (total == 0) {
        return 0.0;
    }
    if (rank < 1) {
        rank = 1;
    }
    for (unsigned i = 0; i < LG_HIST_N; i++) {
        seen += h[i];
        if (seen >= rank) {
            return hist_value(i);
        }
    }
    return hist_value(LG_HIST_N - 1);
}

/* ---- requests ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Format the request into c->req; false when it does not fit. */
static bool req_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool req_printf(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(c->req, sizeof(c->req), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(c->req)) {
        return false;
    }
    c->req_len = (size_t)n;
    c->req_off = 0;
    return true;
}

static bool req_get(struct conn *c, const char *host, const char *url)
{
    return req_printf(c,
                      "GET %s HTTP/1.1\r\nHost: %s\r\n"
                      "Accept: application/json\r\n\r\n",
                      url, host);
}

static bool req_body(struct conn *c, const char *host, const char *method,
                     const char *url, const char *body)
{
    return req_printf(c,
                      "%s %s HTTP/1.1\r\nHost: %s\r\n"
                      "Accept: application/json\r\n"
                      "Content-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n%s",
                      method, url, host, strlen(body), body);
}

/* The status an answer to @op must have. */
static int expected_status(enum lg_op op)
{
    switch (op) {
    case OP_CREATE:
    case OP_MKDIR:
        return 201;
    case OP_DELETE:
        return 204;
    default:
        return 200;
    }
}

/* The item number of the next create/mkdir/delete; false when a delete run
 * has handed out all of its items. */
static bool take_item(struct run *r, uint64_t *g)
{
    *g = atomic_fetch_add(&r->next_item, 1);
    if (r->op == OP_DELETE && *g >= r->count) {
        return false;
    }
    return true;
}

/* Build the next request of @c. Returns 1, 0 when the connection has no
 * more work, -1 when the request does not fit. */
static int next_request(struct worker *w, struct conn *c)
{
    struct run *r = w->run;
    char url[LG_REQ_MAX / 2];
    char body[LG_REQ_MAX / 4];
    uint64_t g;
    unsigned slot;
    uint64_t seq;
    bool ok = false;

    c->counted_item = false;
    /* rename's own create may find the file a run before left (409). */
    c->expect = c->in_setup ? 201 : expected_status(r->op);
    switch (r->op) {
    case OP_BARE:
        ok = req_get(c, r->host, "/");
        break;
    case OP_RAW:
        ok = req_get(c, r->host, r->arg);
        break;
    case OP_STAT:
        if (r->span > 0) {
            g = rng_next(&w->rng) % r->span;
            (void)snprintf(url, sizeof(url), LG_API "%s%llu%s%s", r->arg,
                           (unsigned long long)g, r->query[0] ? "?" : "",
                           r->query);
        } else {
            (void)snprintf(url, sizeof(url), LG_API "%s%s%s", r->arg,
                           r->query[0] ? "?" : "", r->query);
        }
        ok = req_get(c, r->host, url);
        break;
    case OP_LIST:
        (void)snprintf(url, sizeof(url), LG_API "%s?list&limit=100", r->arg);
        ok = req_get(c, r->host, url);
        break;
    case OP_STATMANY:
        g = rng_next(&w->rng) % r->span;
        (void)snprintf(url, sizeof(url), LG_API "%s/d%llu/f%llu", r->arg,
                       (unsigned long long)(g / LG_FILES_PER_DIR),
                       (unsigned long long)(g % LG_FILES_PER_DIR));
        ok = req_get(c, r->host, url);
        break;
    case OP_LISTMANY:
        g = rng_next(&w->rng) %
            ((r->span + LG_FILES_PER_DIR - 1) / LG_FILES_PER_DIR);
        (void)snprintf(url, sizeof(url), LG_API "%s/d%llu?list&limit=100",
                       r->arg, (unsigned long long)g);
        ok = req_get(c, r->host, url);
        break;
    case OP_CREATE:
    case OP_MKDIR:
    case OP_DELETE:
        if (!take_item(r, &g)) {
            return 0;
        }
        c->counted_item = true;
        slot = (unsigned)(g % r->conns);
        seq = g / r->conns;
        (void)snprintf(url, sizeof(url), LG_API "%s/c%u-%llu", r->arg, slot,
                       (unsigned long long)seq);
        if (r->op == OP_DELETE) {
            ok = req_printf(c,
                            "DELETE %s HTTP/1.1\r\nHost: %s\r\n"
                            "Accept: application/json\r\n\r\n",
                            url, r->host);
        } else {
            ok = req_body(c, r->host, "PUT", url,
                          r->op == OP_CREATE ? "{\"type\":\"file\",\"size\":1}"
                                             : "{\"type\":\"directory\"}");
        }
        break;
    case OP_RENAME:
        if (c->in_setup) {
            (void)snprintf(url, sizeof(url), LG_API "%s/r%u-a", r->arg,
                           c->index);
            ok = req_body(c, r->host, "PUT", url,
                          "{\"type\":\"file\",\"size\":1}");
        } else {
            (void)snprintf(url, sizeof(url), LG_API "%s/r%u-%c/rename", r->arg,
                           c->index, c->at_b ? 'b' : 'a');
            (void)snprintf(body, sizeof(body), "{\"to\":\"%s/r%u-%c\"}", r->arg,
                           c->index, c->at_b ? 'a' : 'b');
            ok = req_body(c, r->host, "POST", url, body);
        }
        break;
    }
    return ok ? 1 : -1;
}

/* ---- connections --------------------------------------------------------- */

static void conn_close(struct worker *w, struct conn *c)
{
    if (c->fd >= 0) {
        (void)epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
        (void)close(c->fd);
        c->fd = -1;
    }
    c->served = 0;
}

static void conn_fail(struct worker *w, struct conn *c, bool count)
{
    if (count) {
        w->errors++;
    }
    conn_close(w, c);
    c->state = CS_WAIT;
    c->retry_us = now_us() + LG_RETRY_US;
}

static void resp_reset(struct conn *c)
{
    c->hdr_len = 0;
    c->in_body = false;
    c->status = 0;
    c->close_after = false;
    c->bm = BM_NONE;
    c->body_left = 0;
    c->ch = CH_SIZE;
    c->chunk_size = 0;
    c->trailer_line = 0;
    c->sample_len = 0;
    c->got_bytes = false;
}

/* Start the next request on @c, connecting first when needed. */
static void conn_start(struct worker *w, struct conn *c);

/* Reconnect and send the request @c had again. */
static void conn_retry(struct worker *w, struct conn *c);

static void conn_open(struct worker *w, struct conn *c)
{
    struct run *r = w->run;
    struct epoll_event ev;
    int one = 1;
    int fd = socket(r->addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        conn_fail(w, c, true);
        return;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->served = 0;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.ptr = c;
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        conn_fail(w, c, true);
        return;
    }
    if (connect(fd, (const struct sockaddr *)&r->addr, r->addrlen) != 0 &&
        errno != EINPROGRESS) {
        conn_fail(w, c, true);
        return;
    }
    c->state = CS_CONNECTING;
}

/* Parse the header block in c->hdr (ends with the empty line). Returns 0,
 * 1 for an interim 1xx answer (skip it), -1 when malformed. */
static int parse_header(struct conn *c)
{
    char *p = c->hdr;
    char *end = c->hdr + c->hdr_len;
    char *eol;
    bool have_len = false;
    bool chunked = false;
    bool http10 = false;
    char *q;

    if (c->hdr_len < 12 || strncmp(p, "HTTP/1.", 7) != 0) {
        return -1;
    }
    http10 = p[7] == '0';
    c->status = (int)strtol(p + 9, &q, 10);
    if (q == p + 9 || c->status < 100 || c->status > 599) {
        return -1;
    }
    if (c->status < 200) {
        return 1;
    }
    c->close_after = http10;
    eol = memchr(p, '\n', (size_t)(end - p));
    while (eol != NULL && eol + 1 < end) {
        char *line = eol + 1;
        char *colon;
        char *val;

        eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL) {
            break;
        }
        colon = memchr(line, ':', (size_t)(eol - line));
        if (colon == NULL) {
            continue;
        }
        val = colon + 1;
        while (val < eol && (*val == ' ' || *val == '\t')) {
            val++;
        }
        if ((size_t)(colon - line) == 14 &&
            strncasecmp(line, "content-length", 14) == 0) {
            c->body_left = strtoull(val, &q, 10);
            if (q == val) {
                return -1;
            }
            have_len = true;
        } else if ((size_t)(colon - line) == 17 &&
                   strncasecmp(line, "transfer-encoding", 17) == 0) {
            chunked = strncasecmp(val, "chunked", 7) == 0;
        } else if ((size_t)(colon - line) == 10 &&
                   strncasecmp(line, "connection", 10) == 0) {
            if (strncasecmp(val, "close", 5) == 0) {
                c->close_after = true;
            } else if (strncasecmp(val, "keep-alive", 10) == 0) {
                c->close_after = false;
            }
        }
    }
    if (c->status == 204 || c->status == 304) {
        c->bm = BM_NONE;
    } else if (chunked) {
        c->bm = BM_CHUNKED;
    } else if (have_len) {
        c->bm = c->body_left > 0 ? BM_LENGTH : BM_NONE;
    } else {
        c->bm = BM_CLOSE;
        c->close_after = true;
    }
    return 0;
}

static void keep_sample(struct conn *c, const char *p, size_t n)
{
    size_t room = LG_SAMPLE_MAX - c->sample_len;

    if (c->status == c->expect) {
        return;
    }
    if (n > room) {
        n = room;
    }
    memcpy(c->sample + c->sample_len, p, n);
    c->sample_len += n;
}

/* Consume body bytes. Returns the bytes used, or -1 on a malformed chunk;
 * sets *done when the body is complete. */
static long eat_body(struct conn *c, const char *p, size_t n, bool *done)
{
    size_t i = 0;

    *done = false;
    if (c->bm == BM_NONE) {
        *done = true;
        return 0;
    }
    if (c->bm == BM_CLOSE) {
        keep_sample(c, p, n);
        return (long)n;
    }
    if (c->bm == BM_LENGTH) {
        size_t take = n < c->body_left ? n : (size_t)c->body_left;

        keep_sample(c, p, take);
        c->body_left -= take;
        *done = c->body_left == 0;
        return (long)take;
    }
    while (i < n && !*done) {
        char ch = p[i];

        switch (c->ch) {
        case CH_SIZE:
            if (ch >= '0' && ch <= '9') {
                c->chunk_size = c->chunk_size * 16 + (uint64_t)(ch - '0');
            } else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
                c->chunk_size =
                    c->chunk_size * 16 + (uint64_t)((ch | 0x20) - 'a' + 10);
            } else if (ch == '\n') {
                c->ch = c->chunk_size == 0 ? CH_TRAILER : CH_DATA;
                c->trailer_line = 0;
            } else {
                c->ch = CH_EXT;
            }
            i++;
            break;
        case CH_EXT:
            if (ch == '\n') {
                c->ch = c->chunk_size == 0 ? CH_TRAILER : CH_DATA;
                c->trailer_line = 0;
            }
            i++;
            break;
        case CH_DATA: {
            size_t take = n - i;

            if (take > c->chunk_size) {
                take = (size_t)c->chunk_size;
            }
            keep_sample(c, p + i, take);
            c->chunk_size -= take;
            i += take;
            if (c->chunk_size == 0) {
                c->ch = CH_DATA_CR;
            }
            break;
        }
        case CH_DATA_CR:
            if (ch != '\r') {
                return -1;
            }
            c->ch = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (ch != '\n') {
                return -1;
            }
            c->ch = CH_SIZE;
            c->chunk_size = 0;
            i++;
            break;
        case CH_TRAILER:
            if (ch == '\n') {
                if (c->trailer_line == 0) {
                    *done = true;
                }
                c->trailer_line = 0;
            } else if (ch != '\r') {
                c->trailer_line++;
            }
            i++;
            break;
        }
    }
    return (long)i;
}

static void print_sample(struct worker *w, struct conn *c)
{
    char line[128];
    const char *nl;

    if (atomic_fetch_sub(&w->run->samples_left, 1) <= 0) {
        return;
    }
    nl = memchr(c->req, '\r', c->req_len);
    (void)snprintf(line, sizeof(line), "%.*s",
                   nl != NULL ? (int)(nl - c->req) : 0, c->req);
    c->sample[c->sample_len] = '\0';
    (void)fprintf(stderr, "loadgen: %s -> %d %s\n", line, c->status, c->sample);
}

/* A whole answer arrived. */
static void conn_answered(struct worker *w, struct conn *c)
{
    struct run *r = w->run;
    int64_t t = now_us();
    bool ok = c->status == c->expect;
    bool setup = c->in_setup;

    c->served++;
    if (setup) {
        /* rename's own create: 201, or 409 when a run before left it. */
        c->in_setup = false;
        if (c->status != 201 && c->status != 409) {
            w->bad_status++;
            print_sample(w, c);
        }
    } else {
        if (t <= r->deadline_us) {
            if (ok) {
                w->ops++;
                w->hist[hist_index((uint64_t)(t - c->sent_us))]++;
            } else {
                w->bad_status++;
            }
            w->last_done_us = t;
        }
        if (!ok) {
            print_sample(w, c);
        }
        /* rename: flip on success; on 404 the file is at the other name. */
        if (r->op == OP_RENAME && (ok || c->status == 404)) {
            c->at_b = !c->at_b;
        }
    }
    if (c->close_after) {
        conn_close(w, c);
        c->state = CS_IDLE;
    }
    if (t >= r->deadline_us) {
        conn_close(w, c);
        c->state = CS_DONE;
        return;
    }
    conn_start(w, c);
}

/* Read what the socket has. Returns true when a whole answer arrived (and
 * the next request is set up), false when the socket has no more bytes or
 * failed. */
static bool conn_read(struct worker *w, struct conn *c)
{
    char *buf = w->rbuf;

    for (;;) {
        ssize_t got = read(c->fd, buf, sizeof(w->rbuf));
        size_t off = 0;

        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return false;
        }
        if (got <= 0) {
            bool stale = !c->got_bytes && c->served > 0;

            if (got == 0 && c->in_body && c->bm == BM_CLOSE) {
                conn_answered(w, c);
                return true;
            }
            if (stale) {
                /* The server dropped an idle keep-alive connection before
                 * it saw this request: send it again on a new one. */
                conn_close(w, c);
                conn_retry(w, c);
                return false;
            }
            conn_fail(w, c, true);
            return false;
        }
        c->got_bytes = true;
        while (off < (size_t)got) {
            if (!c->in_body) {
                /* Copy into the header buffer up to the empty line. */
                char *end;
                size_t room = sizeof(c->hdr) - 1 - c->hdr_len;
                size_t take = (size_t)got - off;
                size_t used;
                int rc;

                if (take > room) {
                    take = room;
                }
                if (take == 0) {
                    conn_fail(w, c, true);
                    return false;
                }
                memcpy(c->hdr + c->hdr_len, buf + off, take);
                c->hdr_len += take;
                c->hdr[c->hdr_len] = '\0';
                end = strstr(c->hdr, "\r\n\r\n");
                if (end == NULL) {
                    off += take;
                    continue;
                }
                used = (size_t)(end + 4 - c->hdr) - (c->hdr_len - take);
                off += used;
                c->hdr_len = (size_t)(end + 4 - c->hdr);
                rc = parse_header(c);
                if (rc < 0) {
                    conn_fail(w, c, true);
                    return false;
                }
                if (rc == 1) {
                    c->hdr_len = 0;
                    continue;
                }
                c->in_body = true;
            }
            {
                bool done;
                long used = eat_body(c, buf + off, (size_t)got - off, &done);

                if (used < 0) {
                    conn_fail(w, c, true);
                    return false;
                }
                off += (size_t)used;
                if (done) {
                    if (off != (size_t)got) {
                        /* Bytes past the answer: we never pipeline. */
                        conn_fail(w, c, true);
                        return false;
                    }
                    conn_answered(w, c);
                    return true;
                }
            }
        }
    }
}

/* Send what is left of the request. Returns true when all is sent. */
static bool conn_write(struct worker *w, struct conn *c)
{
    while (c->req_off < c->req_len) {
        ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off,
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            }
            conn_fail(w, c, c->served == 0);
            return false;
        }
        c->req_off += (size_t)n;
    }
    return true;
}

/* Move @c on as far as its socket lets it, one request after another. */
static void conn_drive(struct worker *w, struct conn *c)
{
    for (;;) {
        if (c->state == CS_SENDING) {
            if (!conn_write(w, c)) {
                return;
            }
            c->state = CS_READING;
        }
        if (c->state != CS_READING || !conn_read(w, c)) {
            return;
        }
    }
}

static void conn_start(struct worker *w, struct conn *c)
{
    int rc;

    resp_reset(c);
    rc = next_request(w, c);
    if (rc <= 0) {
        if (rc < 0) {
            w->errors++;
        }
        conn_close(w, c);
        c->state = CS_DONE;
        return;
    }
    c->sent_us = now_us();
    if (c->fd < 0) {
        conn_open(w, c);
        return;
    }
    c->state = CS_SENDING;
}

/* Called on an epoll event for @c. */
static void conn_event(struct worker *w, struct conn *c, uint32_t events)
{
    if (c->state == CS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
            err != 0) {
            conn_fail(w, c, true);
            return;
        }
        if ((events & EPOLLOUT) == 0) {
            return;
        }
        c->state = CS_SENDING;
        c->sent_us = now_us();
    }
    conn_drive(w, c);
}

static void conn_retry(struct worker *w, struct conn *c)
{
    c->req_off = 0;
    resp_reset(c);
    conn_open(w, c);
}

/* ---- threads ------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    struct epoll_event evs[256];
    bool first = true;

    for (;;) {
        int64_t t = now_us();
        int64_t wake = t >= r->deadline_us ? r->hard_stop_us : r->deadline_us;
        unsigned busy = 0;
        int n;

        for (unsigned i = 0; i < w->n; i++) {
            struct conn *c = &w->conns[i];

            if (first) {
                c->state = CS_IDLE;
                conn_start(w, c);
                conn_drive(w, c);
            } else if (c->state == CS_WAIT) {
                if (t >= r->deadline_us) {
                    /* Failed requests do not restart after the window. */
                    c->state = CS_DONE;
                } else if (t >= c->retry_us) {
                    if (c->req_len > 0) {
                        conn_retry(w, c);
                    } else {
                        conn_start(w, c);
                        conn_drive(w, c);
                    }
                } else if (c->retry_us < wake) {
                    wake = c->retry_us;
                }
            }
            if (c->state != CS_DONE) {
                busy++;
            }
        }
        first = false;
        if (busy == 0 || t >= r->hard_stop_us) {
            break;
        }
        n = epoll_wait(w->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
                       (int)((wake - t + 999) / 1000));
        if (n < 0 && errno != EINTR) {
            perror("loadgen: epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;

            if (c->fd >= 0) {
                conn_event(w, c, evs[i].events);
            }
        }
    }
    /* Whatever is still in flight timed out. */
    for (unsigned i = 0; i < w->n; i++) {
        struct conn *c = &w->conns[i];

        if (c->state == CS_CONNECTING || c->state == CS_SENDING ||
            c->state == CS_READING) {
            w->errors++;
        }
        conn_close(w, c);
    }
    return NULL;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *out)
{
    (void)fprintf(
        out,
        "usage: loadgen [options] OP [ARG [N]]\n"
        "  OP: stat PATH [N] | list PATH | create PREFIX | mkdir PREFIX |\n"
        "      rename PREFIX | delete PREFIX (needs --count) | bare |\n"
        "      raw URL | statmany PREFIX N | listmany PREFIX N\n"
        "  PATH and PREFIX are namespace paths (/bench/x), sent under " LG_API
        ".\n"
        "options:\n"
        "  --host H        server address (127.0.0.1)\n"
        "  --port P        server port (8420)\n"
        "  --conns N       concurrent connections (64)\n"
        "  --threads N     client threads (1)\n"
        "  --seconds S     length of the run (5)\n"
        "  --grace-ms MS   wait for requests in flight at the end (2000)\n"
        "  --count N       delete: items to delete\n"
        "  --query Q       stat: add ?Q to each URL (consistency=stale)\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

static int parse_args(struct run *r, int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = "8420";
    struct addrinfo hints;
    struct addrinfo *ai = NULL;
    uint64_t v;
    size_t k;
    int i;
    int rc;

    r->conns = 64;
    r->threads = 1;
    r->seconds = 5.0;
    r->grace_ms = 2000;
    r->query = "";
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (val == NULL) {
            (void)fprintf(stderr, "loadgen: %s needs a value\n", opt);
            return -1;
        }
        i++;
        if (strcmp(opt, "--host") == 0) {
            host = val;
        } else if (strcmp(opt, "--port") == 0) {
            port = val;
        } else if (strcmp(opt, "--seconds") == 0) {
            char *end;

            r->seconds = strtod(val, &end);
            if (end == val || *end != '\0' || r->seconds <= 0) {
                (void)fprintf(stderr, "loadgen: bad --seconds %s\n", val);
                return -1;
            }
        } else if (strcmp(opt, "--conns") == 0 && parse_u64(val, &v) &&
                   v >= 1 && v <= 100000) {
            r->conns = (unsigned)v;
        } else if (strcmp(opt, "--threads") == 0 && parse_u64(val, &v) &&
                   v >= 1 && v <= 256) {
            r->threads = (unsigned)v;
        } else if (strcmp(opt, "--grace-ms") == 0 && parse_u64(val, &v) &&
                   v <= 600000) {
            r->grace_ms = (unsigned)v;
        } else if (strcmp(opt, "--count") == 0 && parse_u64(val, &v)) {
            r->count = v;
        } else if (strcmp(opt, "--query") == 0) {
            r->query = val;
        } else {
            (void)fprintf(stderr, "loadgen: bad option %s %s\n", opt, val);
            return -1;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return -1;
    }
    for (k = 0; k < sizeof(op_names) / sizeof(op_names[0]); k++) {
        if (strcmp(argv[i], op_names[k]) == 0) {
            break;
        }
    }
    if (k == sizeof(op_names) / sizeof(op_names[0])) {
        (void)fprintf(stderr, "loadgen: unknown operation %s\n", argv[i]);
        return -1;
    }
    r->op = (enum lg_op)k;
    i++;
    if (r->op != OP_BARE) {
        if (i >= argc || (argv[i][0] != '/' && r->op != OP_RAW)) {
            (void)fprintf(stderr, "loadgen: %s needs an absolute path\n",
                          op_names[r->op]);
            return -1;
        }
        r->arg = argv[i++];
        /* "/" as a prefix would make "//c0-1". */
        if (r->op != OP_STAT && r->op != OP_LIST && r->op != OP_RAW &&
            strcmp(r->arg, "/") == 0) {
            r->arg = "";
        }
    }
    if (r->op == OP_STATMANY || r->op == OP_LISTMANY ||
        (r->op == OP_STAT && i < argc)) {
        if (i >= argc || !parse_u64(argv[i], &r->span) || r->span == 0) {
            (void)fprintf(stderr, "loadgen: %s needs a count N > 0\n",
                          op_names[r->op]);
            return -1;
        }
        i++;
    }
    if (r->op == OP_DELETE && r->count == 0) {
        (void)fprintf(stderr, "loadgen: delete needs --count N (> 0)\n");
        return -1;
    }
    if (i != argc) {
        (void)fprintf(stderr, "loadgen: unexpected argument %s\n", argv[i]);
        return -1;
    }
    if (r->threads > r->conns) {
        r->threads = r->conns;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || ai == NULL) {
        (void)fprintf(stderr, "loadgen: %s:%s: %s\n", host, port,
                      gai_strerror(rc));
        return -1;
    }
    memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
    r->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    (void)snprintf(r->host, sizeof(r->host), "%s:%s", host, port);
    return 0;
}

int main(int argc, char **argv)
{
    static struct run r;
    struct worker *ws;
    uint64_t ops = 0;
    uint64_t bad_status = 0;
    uint64_t errors = 0;
    uint64_t issued;
    int64_t last_us = 0;
    int64_t end_us;
    uint64_t *hist;
    double secs;
    unsigned next_conn = 0;

    if (parse_args(&r, argc, argv) != 0) {
        return 2;
    }
    (void)signal(SIGPIPE, SIG_IGN);
    atomic_store(&r.samples_left, LG_SAMPLES);
    ws = xcalloc(r.threads, sizeof(*ws));
    hist = xcalloc(LG_HIST_N, sizeof(*hist));
    for (unsigned t = 0; t < r.threads; t++) {
        struct worker *w = &ws[t];
        unsigned n = r.conns / r.threads + (t < r.conns % r.threads ? 1 : 0);

        w->run = &r;
        w->n = n;
        w->rng = 0x9E3779B97F4A7C15ULL ^
                 ((uint64_t)(t + 1) * 0xD1B54A32D192ED03ULL) ^
                 (uint64_t)now_us();
        w->conns = xcalloc(n, sizeof(*w->conns));
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (w->ep < 0) {
            perror("loadgen: epoll_create1");
            exit(1);
        }
        for (unsigned i = 0; i < n; i++) {
            w->conns[i].index = next_conn++;
            w->conns[i].fd = -1;
            w->conns[i].in_setup = r.op == OP_RENAME;
        }
    }
    r.start_us = now_us();
    r.deadline_us = r.start_us + (int64_t)(r.seconds * 1e6);
    r.hard_stop_us = r.deadline_us + (int64_t)r.grace_ms * 1000;
    for (unsigned t = 0; t < r.threads; t++) {
        if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0) {
            perror("loadgen: pthread_create");
            exit(1);
        }
    }
    for (unsigned t = 0; t < r.threads; t++) {
        struct worker *w = &ws[t];

        (void)pthread_join(w->tid, NULL);
        ops += w->ops;
        bad_status += w->bad_status;
        errors += w->errors;
        if (w->last_done_us > last_us) {
            last_us = w->last_done_us;
        }
        for (unsigned i = 0; i < LG_HIST_N; i++) {
            hist[i] += w->hist[i];
        }
        (void)close(w->ep);
        free(w->conns);
    }
    /* A delete run that ran out of items ends before the deadline. */
    end_us = r.deadline_us;
    if (r.op == OP_DELETE && last_us > 0 && last_us < end_us) {
        end_us = last_us;
    }
    secs = (double)(end_us - r.start_us) / 1e6;
    issued = atomic_load(&r.next_item);
    if (r.op == OP_DELETE && issued > r.count) {
        issued = r.count;
    }
    (void)printf("{\"op\":\"%s\",\"conns\":%u,\"seconds\":%.2f,\"ops\":%llu,"
                 "\"ops_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                 "\"errors\":%llu,\"bad_status\":%llu,\"issued\":%llu}\n",
                 op_names[r.op], r.conns, secs, (unsigned long long)ops,
                 secs > 0 ? (double)ops / secs : 0.0,
                 hist_percentile(hist, ops, 50.0) / 1000.0,
                 hist_percentile(hist, ops, 99.0) / 1000.0,
                 (unsigned long long)errors, (unsigned long long)bad_status,
                 (unsigned long long)issued);
    free(hist);
    free(ws);
    return 0;
}
