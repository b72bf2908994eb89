/*
 * http_static: the dashboard's static files (see http_static.h).
 *
 * The file is opened below web_root with openat2(RESOLVE_BENEATH), so no
 * "..", absolute symlink or symlink chain can leave the root whatever the
 * URL says; the URL is checked first all the same (path_parse), so that a
 * traversal attempt gets a clear 400 instead of a 404.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_static.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../src/config.h"
#include "../src/log.h"
#include "../src/op.h"
#include "../src/path.h"
#include "http_problem.h"

#define INDEX_FILE "index.html"

static atomic_bool warned_nosys;

static const struct {
    const char *ext;
    const char *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

/* Same-origin only: the dashboard talks to the REST API of the server
 * that served it and loads nothing from anywhere else; no inline script
 * or style (uPlot styles through the CSSOM, which CSP allows). */
#define CSP                                                                    \
    "default-src 'self'; img-src 'self' data:; "                               \
    "style-src 'self'; object-src 'none'; "                                    \
    "base-uri 'none'; frame-ancestors 'none'"

const char *http_static_media_type(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (dot != NULL && strchr(dot, '/') == NULL) {
        for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]);
             i++) {
            if (strcasecmp(dot, media_types[i].ext) == 0) {
                return media_types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

void http_static_check_root(const char *web_root)
{
    struct stat st;

    if (stat(web_root, &st) != 0 || !S_ISDIR(st.st_mode) ||
        access(web_root, R_OK | X_OK) != 0) {
        log_warn("http",
                 "web_root %s is not a readable directory: the dashboard "
                 "is off (its routes answer 404)",
                 web_root);
    }
}

/* Open @rel (relative, no leading '/') below @root for reading: a regular
 * file, not reached through a symlink that leaves @root. Returns the fd and
 * *st, or -1 with errno. */
static int open_beneath(const char *root, const char *rel, struct stat *st)
{
    struct open_how how;
    int dirfd;
    int fd;
    int saved;

    dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        return -1;
    }
    memset(&how, 0, sizeof(how));
    /* O_NONBLOCK: a FIFO must not hold the thread (it is refused below). */
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    saved = errno;
    if (fd < 0 && saved == ENOSYS && !atomic_exchange(&warned_nosys, true)) {
        log_warn("http", "openat2 is missing (Linux 5.6 or later needed): "
                         "the dashboard cannot be served");
    }
    (void)close(dirfd);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        (void)close(fd);
        errno = ENOENT;
        return -1;
    }
    return fd;
}

/* Whether the If-None-Match field @inm names @etag (RFC 9110 §13.1.2: the
 * weak comparison, so W/"x" matches "x"), or is "*". */
static bool none_match(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (strcmp(p, "*") == 0) {
        return true;
    }
    while ((p = strstr(p, etag)) != NULL) {
        char after = p[elen];

        if (after == '\0' || after == ',' || after == ' ' || after == '\t') {
            return true;
        }
        p += elen;
    }
    return false;
}

/* Answer @req with the file @rel of web_root. */
static void serve(struct http_req *req, const char *rel, const char *shown)
{
    const char *root = req->deps->cfg->web_root;
    char errmsg[BN_ERRMSG_SIZE];
    struct stat st;
    struct tm tm;
    char date[64];
    char *etag;
    int fd;

    fd = open_beneath(root, rel, &st);
    if (fd < 0) {
        bn_errmsg_printf(errmsg, "no file %.200s in the dashboard", shown);
        http_problem_reply(req, BN_ENOTFOUND, errmsg);
        return;
    }
    /* Strong: changes with the file's identity, size or modification. */
    etag = http_req_printf(req, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
                           (uint64_t)st.st_ino, (uint64_t)st.st_size,
                           (uint64_t)st.st_mtim.tv_sec * 1000000000u +
                               (uint64_t)st.st_mtim.tv_nsec);
    http_req_add_header(req, "ETag", etag);
    if (gmtime_r(&st.st_mtim.tv_sec, &tm) != NULL &&
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0) {
        http_req_add_header(req, "Last-Modified",
                            http_req_strndup(req, date, strlen(date)));
    }
    http_req_add_header(req, "Cache-Control", "no-cache");
    http_req_add_header(req, "X-Content-Type-Options", "nosniff");
    http_req_add_header(req, "Content-Security-Policy", CSP);
    if (req->if_none_match != NULL && none_match(req->if_none_match, etag)) {
        (void)close(fd);
        http_req_reply(req, 304, NULL, NULL, 0);
        return;
    }
    http_req_reply_fd(req, 200, http_static_media_type(rel), fd,
                      (uint64_t)st.st_size);
}

void http_static_index(struct http_req *req)
{
    serve(req, INDEX_FILE, "/");
}

void http_static_file(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE];
    struct path p = {0};
    char *dec;
    size_t len;
    bool hidden = false;
    int rc;

    rc = http_req_decode_path(req, req->rest, &dec, &len, errmsg);
    if (rc == 0) {
        rc = path_parse(dec, len, &p, errmsg);
    }
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "invalid path");
        http_problem_reply(req, BN_EINVALPATH, errmsg);
        return;
    }
    for (size_t i = 0; i < p.n; i++) {
        hidden = hidden || p.seg[i][0] == '.'; /* never served */
    }
    if (p.n == 0 || hidden) {
        bn_errmsg_printf(errmsg, "no file %.200s in the dashboard", p.norm);
        http_problem_reply(req, BN_ENOTFOUND, errmsg);
    } else {
        serve(req, p.norm + 1, p.norm);
    }
    path_clear(&p);
}

const struct http_route http_static_routes[] = {
    {HTTP_GET, "/", 0, OP_WEB, http_static_index},
    {HTTP_HEAD, "/", 0, OP_WEB, http_static_index},
    {HTTP_GET, HTTP_STATIC_PREFIX, HTTP_R_TREE, OP_WEB, http_static_file},
    {HTTP_HEAD, HTTP_STATIC_PREFIX, HTTP_R_TREE, OP_WEB, http_static_file},
};

const size_t http_static_n_routes =
    sizeof(http_static_routes) / sizeof(http_static_routes[0]);
