/*
 * blob — object bodies as files: <dir>/blobs/xx/yy/<32 hex id>, where xx and yy are the id's
 * first four hex digits (65536 leaf directories keep each directory small at any object count).
 * A body is written to <dir>/tmp/<id> first and renamed into place once it is on disk.
 *
 * Every write, fsync and rename goes through the sys_* funnels below, so fault injection (short
 * writes, ENOSPC, fsync failure) has one place to hook.
 */
#include "store/store_int.h"
#include "util/fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the funnels -------------------------------------------------------------------------- */

static ssize_t sys_write(int fd, const void *p, size_t n)
{
    switch (fault_hit(FAULT_BLOB_WRITE)) {
    case FAULT_ENOSPC:
        errno = ENOSPC;
        return -1;
    case FAULT_EIO:
        errno = EIO;
        return -1;
    case FAULT_SHORT:
        n = n > 1 ? n / 2 : n; /* the kernel may write less than asked: the caller loops */
        break;
    default:
        break;
    }
    return write(fd, p, n);
}

static int sys_fsync(int fd)
{
    if (fault_hit(FAULT_BLOB_FSYNC) == FAULT_EIO) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static int sys_rename(const char *from, const char *to)
{
    return rename(from, to);
}

/* A failed fsync may have dropped the dirty pages it could not write (Linux marks them clean),
 * so it is never retried: the caller gets -EIO and the file is abandoned. */
static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = sys_fsync(fd) == 0 ? 0 : -EIO;
    close(fd);
    return rc;
}

static int write_errno(int e)
{
    return e == EDQUOT ? -ENOSPC : -e;
}

/* ---- ids and paths ------------------------------------------------------------------------ */

bool store__blob_id_valid(const char *id)
{
    for (int i = 0; i < STORE_BLOB_ID_LEN; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return id[STORE_BLOB_ID_LEN] == '\0';
}

static int random_id(char out[STORE_BLOB_ID_LEN + 1])
{
    unsigned char r[STORE_BLOB_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t k = getrandom(r + got, sizeof r - got, 0);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)k;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[STORE_BLOB_ID_LEN] = '\0';
    return 0;
}

/* snprintf's result as 0 or -ENAMETOOLONG. */
static int fits(int n, size_t size)
{
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* <dir>/blobs/xx/yy/<id> (depth 2), <dir>/blobs/xx/yy (1) or <dir>/blobs/xx (0); the caller has
 * validated id. */
static int blob_path(const struct store *st, const char *id, int depth, char *out, size_t size)
{
    switch (depth) {
    case 0:
        return fits(snprintf(out, size, "%s/blobs/%.2s", st->dir, id), size);
    case 1:
        return fits(snprintf(out, size, "%s/blobs/%.2s/%.2s", st->dir, id, id + 2), size);
    default:
        return fits(snprintf(out, size, "%s/blobs/%.2s/%.2s/%s", st->dir, id, id + 2, id), size);
    }
}

static int mkdir_p1(const char *path, bool *created)
{
    *created = false;
    if (mkdir(path, 0700) == 0) {
        *created = true;
        return 0;
    }
    return errno == EEXIST ? 0 : -errno;
}

int store__blob_init_dirs(struct store *st)
{
    char p[PATH_MAX];
    static const char *const subs[] = {"blobs", "tmp"};
    bool created, any = false;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        int n = snprintf(p, sizeof p, "%s/%s", st->dir, subs[i]);
        if (n < 0 || (size_t)n >= sizeof p)
            return -ENAMETOOLONG;
        int rc = mkdir_p1(p, &created);
        if (rc)
            return rc;
        any |= created;
    }
    return any ? fsync_path(st->dir) : 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

int store_blob_begin(struct store *st, struct blob_writer *w)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = random_id(w->id);
        if (rc)
            return rc;
        int n = snprintf(w->tmp_path, sizeof w->tmp_path, "%s/tmp/%s", st->dir, w->id);
        if (n < 0 || (size_t)n >= sizeof w->tmp_path) {
            w->tmp_path[0] = '\0';
            return -ENAMETOOLONG;
        }
        /* O_EXCL: a temp file is never shared, even with a leftover of the same name. */
        w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w->fd >= 0)
            return 0;
        rc = -errno;
        w->tmp_path[0] = '\0';
        if (rc != -EEXIST)
            return write_errno(-rc);
    }
    return -EEXIST; /* four collisions of 128 random bits: the random source is broken */
}

int store_blob_write(struct blob_writer *w, const void *p, size_t n)
{
    if (!w->tmp_path[0] || w->fd < 0)
        return -EBADF;
    const char *c = p;
    while (n > 0) {
        ssize_t k = sys_write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return write_errno(errno);
        }
        if (k == 0)
            return -EIO; /* a regular file that accepts nothing: treat as a device error */
        c += k;
        n -= (size_t)k;
        w->size += (uint64_t)k;
    }
    return 0;
}

/* Creates <dir>/blobs/xx and <dir>/blobs/xx/yy as needed. A directory created here is a new
 * entry in its parent, which is fsynced, or a crash could lose the directory and with it every
 * blob renamed into it. The mutex makes "exists" mean "exists durably": a thread that finds the
 * directory present (EEXIST) cannot get there while its creator is still between mkdir and the
 * parent's fsync. On the common path (both exist) it guards two cheap failing mkdir calls. */
static int fanout_dirs_locked(struct store *st, const char *id);

static int fanout_dirs(struct store *st, const char *id)
{
    pthread_mutex_lock(&st->fanout_mu);
    int rc = fanout_dirs_locked(st, id);
    pthread_mutex_unlock(&st->fanout_mu);
    return rc;
}

static int fanout_dirs_locked(struct store *st, const char *id)
{
    char d0[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX];
    bool created;
    int rc = fits(snprintf(d0, sizeof d0, "%s/blobs", st->dir), sizeof d0);
    if (!rc)
        rc = blob_path(st, id, 0, d1, sizeof d1);
    if (!rc)
        rc = blob_path(st, id, 1, d2, sizeof d2);
    if (rc)
        return rc;
    rc = mkdir_p1(d1, &created);
    if (!rc && created)
        rc = fsync_path(d0);
    if (!rc)
        rc = mkdir_p1(d2, &created);
    if (!rc && created)
        rc = fsync_path(d1);
    return rc;
}

int store_blob_finish(struct store *st, struct blob_writer *w)
{
    if (!w->tmp_path[0] || w->fd < 0)
        return -EBADF;
    char final[PATH_MAX], leaf[PATH_MAX];
    int rc = blob_path(st, w->id, 2, final, sizeof final);
    if (!rc)
        rc = blob_path(st, w->id, 1, leaf, sizeof leaf);
    if (rc)
        goto fail;
    /*
     * The order is what makes a crash safe:
     *  1. fsync the file: its bytes are on disk before any name for it can be durable, so a
     *     crash never leaves a blob name pointing at missing or partial data;
     *  2. rename into blobs/xx/yy: atomic, the blob appears whole or not at all;
     *  3. fsync the leaf directory: the new name is durable before we return, and the caller
     *     commits metadata naming the blob only after that. A crash before the commit leaves an
     *     orphan that store_open() sweeps; a crash after it finds the blob where the row says.
     * The tmp directory is not fsynced: if a crash resurrects the temp name, the sweep of
     * <dir>/tmp removes it, and the blob's own name does not depend on it.
     */
    if (sys_fsync(w->fd) != 0) {
        rc = -EIO;
        goto fail;
    }
    if (close(w->fd) != 0 && errno != EINTR) {
        w->fd = -1;
        rc = -EIO;
        goto fail;
    }
    w->fd = -1;
    rc = fanout_dirs(st, w->id);
    if (rc)
        goto fail;
    if (sys_rename(w->tmp_path, final) != 0) {
        rc = write_errno(errno);
        goto fail;
    }
    w->tmp_path[0] = '\0';
    rc = fsync_path(leaf);
    if (rc) {
        unlink(final); /* not durable, so not usable: the caller fails the request */
        return rc;
    }
    return 0;
fail:
    store_blob_abort(st, w);
    return rc;
}

void store_blob_abort(struct store *st, struct blob_writer *w)
{
    (void)st;
    if (!w->tmp_path[0])
        return; /* zeroed, finished or already aborted */
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    unlink(w->tmp_path);
    w->tmp_path[0] = '\0';
}

/* ---- reading and removing ----------------------------------------------------------------- */

int store_blob_open(struct store *st, const char *blob_id)
{
    char p[PATH_MAX];
    if (!blob_id || !store__blob_id_valid(blob_id))
        return -EINVAL;
    int rc = blob_path(st, blob_id, 2, p, sizeof p);
    if (rc)
        return rc;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int store__blob_unlink(struct store *st, const char *blob_id)
{
    char p[PATH_MAX];
    if (!store__blob_id_valid(blob_id))
        return -EINVAL;
    int rc = blob_path(st, blob_id, 2, p, sizeof p);
    if (rc)
        return rc;
    /* No directory fsync: a name a crash brings back is an orphan, and the sweep removes it. */
    if (unlink(p) != 0)
        return errno == ENOENT ? -ENOENT : -errno;
    return 0;
}

void store_blob_discard(struct store *st, const char *blob_id)
{
    if (blob_id)
        (void)store__blob_unlink(st, blob_id);
}

/* ---- the sweep at open -------------------------------------------------------------------- */

static bool hex2(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[2] == '\0';
}

/* Unlinks everything in <dir>/tmp: with no writer running, every temp file is a leftover. */
static int sweep_tmp(struct store *st)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof p, "%s/tmp", st->dir);
    if (n < 0 || (size_t)n >= sizeof p)
        return -ENAMETOOLONG;
    DIR *d = opendir(p);
    if (!d)
        return -errno;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dfd, e->d_name, 0) != 0 && errno != ENOENT && errno != EISDIR &&
            errno != EPERM) {
            int rc = -errno;
            closedir(d);
            return rc;
        }
    }
    closedir(d);
    return 0;
}

/* One leaf directory blobs/xx/yy: unlink the blobs no row names. Files that are not named like a
 * blob of this leaf are left alone: they are not ours to judge. */
static int sweep_leaf(struct store *st, int leaf_fd, const char *xx, const char *yy)
{
    DIR *d = fdopendir(leaf_fd);
    if (!d) {
        int rc = -errno;
        close(leaf_fd);
        return rc;
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        const char *id = e->d_name;
        if (!store__blob_id_valid(id) || memcmp(id, xx, 2) != 0 || memcmp(id + 2, yy, 2) != 0)
            continue;
        int r = st->meta->blob_referenced(st->be, id);
        if (r < 0)
            rc = r;
        else if (r == 0 && unlinkat(dirfd(d), id, 0) != 0 && errno != ENOENT)
            rc = -errno;
    }
    closedir(d);
    return rc;
}

static int sweep_blobs(struct store *st)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof p, "%s/blobs", st->dir);
    if (n < 0 || (size_t)n >= sizeof p)
        return -ENAMETOOLONG;
    DIR *top = opendir(p);
    if (!top)
        return -errno;
    int rc = 0;
    struct dirent *e1;
    while (!rc && (e1 = readdir(top)) != NULL) {
        if (!hex2(e1->d_name))
            continue;
        int fd1 = openat(dirfd(top), e1->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd1 < 0)
            continue; /* not a directory */
        DIR *mid = fdopendir(fd1);
        if (!mid) {
            rc = -errno;
            close(fd1);
            break;
        }
        /* A previous process may have created leaf directories and died before fsyncing this
         * one (the OS then still had the entries in its cache): make them durable now. On a clean
         * directory the fsync costs next to nothing. */
        if (sys_fsync(dirfd(mid)) != 0)
            rc = -EIO;
        struct dirent *e2;
        while (!rc && (e2 = readdir(mid)) != NULL) {
            if (!hex2(e2->d_name))
                continue;
            int fd2 = openat(dirfd(mid), e2->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd2 >= 0)
                rc = sweep_leaf(st, fd2, e1->d_name, e2->d_name);
        }
        closedir(mid);
    }
    if (!rc && sys_fsync(dirfd(top)) != 0)
        rc = -EIO;
    closedir(top);
    return rc;
}

int store__blob_sweep(struct store *st)
{
    int rc = sweep_tmp(st);
    return rc ? rc : sweep_blobs(st);
}
