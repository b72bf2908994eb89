/*
 * datadir: make and hold the daemon's data directory (datadir.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int datadir_mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int datadir_lock(const char *dir, char *errmsg, size_t errmsg_size)
{
    char path[4200];
    char pid[32];
    int fd;
    int n;

    (void)snprintf(path, sizeof(path), "%s/LOCK", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        (void)snprintf(errmsg, errmsg_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;

        n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (err == EWOULDBLOCK) {
            (void)snprintf(errmsg, errmsg_size,
                           "data dir %s is in use by another banyand "
                           "(pid %s)",
                           dir, pid[0] != '\0' ? pid : "unknown");
        } else {
            (void)snprintf(errmsg, errmsg_size, "%s: %s", path, strerror(err));
        }
        (void)close(fd);
        return -1;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        (void)snprintf(errmsg, errmsg_size, "%s: %s", path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    return fd;
}
