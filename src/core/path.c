/*
 * Finding the program's own files (web/, data/) whether it runs from the
 * source tree (build/wasl, build/asan/wasl) or from an installed prefix,
 * and reading them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

int path_near_exe(const char *rel, char *out, size_t n)
{
    char exe[PATH_MAX], try[PATH_MAX + 64];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (len <= 0)
        return err_set(WASL_ENOENT, "path.not_found", "cannot find the program's own folder");
    exe[len] = '\0';
    /* The folder of the program, then up to three folders above it. */
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            break;
        *slash = '\0';
        snprintf(try, sizeof(try), "%s/%s", exe, rel);
        if (access(try, R_OK) == 0 && realpath(try, out) && strlen(out) < n)
            return 0;
        snprintf(try, sizeof(try), "%s/share/wasl/%s", exe, rel);
        if (access(try, R_OK) == 0 && realpath(try, out) && strlen(out) < n)
            return 0;
    }
    return err_set(WASL_ENOENT, "path.not_found", "no %s folder near the program", rel);
}

int file_read(const char *path, char **buf, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    char *b;
    size_t n;

    *buf = NULL;
    *len = 0;
    if (!f)
        return err_set(WASL_ENOENT, "data.missing", "%s: cannot open: %s", path, strerror(errno));
    /* The buffer is the file's size (when it can be known), not max. */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    size_t want = size >= 0 && (size_t)size <= max ? (size_t)size : max;
    rewind(f);
    if (!(b = malloc(want + 2))) {
        fclose(f);
        return WASL_ENOMEM;
    }
    n = fread(b, 1, want + 1, f);
    if (n > want && want < max) {
        /* grew while we read: take it up to max */
        char *nb = realloc(b, max + 2);
        if (!nb) {
            free(b);
            fclose(f);
            return WASL_ENOMEM;
        }
        b = nb;
        n += fread(b + n, 1, max + 1 - n, f);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad || n > max) {
        free(b);
        return bad ? err_set(WASL_EIO, "data.io", "%s: cannot read", path)
                   : err_set(WASL_ETOOBIG, "data.too_large", "%s: larger than %zu bytes", path, max);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}
