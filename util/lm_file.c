/*
 * Atomic, durable file replacement (see lm_file.h).
 */
#include "lm_file.h"

#include "lm_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void lm_file_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? lm_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : lm_strndup(".", 1);
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static atomic_uint temp_counter;

lm_status lm_file_atomic_begin(lm_file_atomic *a, const char *path, lm_error *err)
{
    memset(a, 0, sizeof *a);
    lm_buf name;
    lm_buf_init(&name);
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        lm_buf_reset(&name);
        if (lm_buf_printf(&name, "%s.partial.%ld.%u", path, (long)getpid(),
                          atomic_fetch_add(&temp_counter, 1u)) != LM_OK) {
            lm_buf_free(&name);
            return lm_error_nomem(err, NULL);
        }
        fd = open(lm_buf_cstr(&name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        lm_status st = lm_error_set(err, LM_ERR_IO, "cannot create %s: %s", lm_buf_cstr(&name),
                                    strerror(errno));
        lm_buf_free(&name);
        return st;
    }
    a->tmp = lm_buf_take(&name);
    a->path = strdup(path);
    a->f = fdopen(fd, "wb");
    if (!a->f)
        close(fd);
    if (!a->f || !a->path) {
        lm_file_atomic_abort(a);
        return lm_error_nomem(err, NULL);
    }
    return LM_OK;
}

void lm_file_atomic_abort(lm_file_atomic *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}

lm_status lm_file_atomic_commit(lm_file_atomic *a, lm_error *err)
{
    int bad = ferror(a->f) != 0;
    bad |= fflush(a->f) != 0;
    bad |= fsync(fileno(a->f)) != 0;
    int saved = errno;
    bad |= fclose(a->f) != 0;
    a->f = NULL;
    if (bad) {
        lm_status st = lm_error_set(err, LM_ERR_IO, "writing %s failed: %s", a->tmp,
                                    strerror(saved ? saved : errno));
        lm_file_atomic_abort(a);
        return st;
    }
    if (rename(a->tmp, a->path) != 0) {
        lm_status st = lm_error_set(err, LM_ERR_IO, "cannot rename %s to %s: %s", a->tmp,
                                    a->path, strerror(errno));
        lm_file_atomic_abort(a);
        return st;
    }
    lm_file_sync_dir(a->path);
    free(a->tmp);
    a->tmp = NULL;   /* renamed: nothing to remove */
    lm_file_atomic_abort(a);
    return LM_OK;
}

lm_status lm_file_write_atomic(const char *path, const void *data, size_t len, lm_error *err)
{
    lm_file_atomic a;
    lm_status st = lm_file_atomic_begin(&a, path, err);
    if (st != LM_OK)
        return st;
    if (len && fwrite(data, 1, len, a.f) != len) {
        st = lm_error_set(err, LM_ERR_IO, "writing %s failed: %s", a.tmp, strerror(errno));
        lm_file_atomic_abort(&a);
        return st;
    }
    return lm_file_atomic_commit(&a, err);
}

lm_status lm_file_publish(const char *from, const char *to, lm_error *err)
{
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", from, strerror(errno));
    int bad = fsync(fd) != 0;
    int saved = errno;
    close(fd);
    if (bad)
        return lm_error_set(err, LM_ERR_IO, "cannot sync %s: %s", from, strerror(saved));
    if (rename(from, to) != 0)
        return lm_error_set(err, LM_ERR_IO, "cannot rename %s to %s: %s", from, to,
                            strerror(errno));
    lm_file_sync_dir(to);
    return LM_OK;
}

lm_status lm_file_map_open(const char *path, lm_file_map *m, lm_error *err)
{
    m->data = NULL;
    m->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lm_error_set(err, LM_ERR_IO, "cannot map %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        return lm_error_set(err, LM_ERR_IO, "cannot map %s: empty or not a regular file", path);
    }
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE;
#endif
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return lm_error_set(err, LM_ERR_IO, "cannot map %s: %s", path, strerror(e));
    m->data = p;
    m->len = (size_t)st.st_size;
    return LM_OK;
}

void lm_file_map_close(lm_file_map *m)
{
    if (m->data)
        munmap(m->data, m->len);
    m->data = NULL;
    m->len = 0;
}
