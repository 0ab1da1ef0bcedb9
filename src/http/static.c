/*
 * Static files of the web UI, with an ETag from the file's identity, size and
 * modification time so browsers revalidate cheaply (304) after each release.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_int.h"

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".wav", "audio/wav"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Only plain relative paths: no "..", no hidden files, no odd bytes. */
static bool path_safe(const char *path)
{
    if (path[0] != '/' || strlen(path) > 512)
        return false;
    for (const char *p = path; *p; p++) {
        if (*p == '\\' || (unsigned char)*p < 0x20)
            return false;
        if (p[0] == '/' && p[1] == '.')
            return false;
    }
    return true;
}

int static_serve(struct http_req *r, const char *web_dir)
{
    struct req_priv *p = r->priv;
    char file[1600], etag[80];
    struct stat st;
    const char *inm;
    int fd;

    if (!path_safe(r->path)) {
        reply_error_status(r, 404, "not_found", "not found");
        return 0;
    }
    snprintf(file, sizeof(file), "%s%s%s", web_dir, r->path, r->path[strlen(r->path) - 1] == '/' ? "index.html" : "");
    /* Symbolic links are followed only within the web root: a link to the
     * database's key or /etc is not the web UI. */
    char real[PATH_MAX], root[PATH_MAX];
    size_t rl;
    if (!realpath(file, real) || !realpath(web_dir, root) || strncmp(real, root, rl = strlen(root)) || real[rl] != '/') {
        reply_error_status(r, 404, "not_found", "not found");
        return 0;
    }
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        reply_error_status(r, 404, "not_found", "not found");
        return 0;
    }
    snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtime);
    http_add_header(r, "ETag", etag);
    /* Always revalidate: a new release must reach every agent at once. */
    http_add_header(r, "Cache-Control", "no-cache");
    inm = http_header(r, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        close(fd);
        return http_reply_text(r, 304, NULL, NULL, 0);
    }
    p->fd = fd;
    p->fd_size = (uint64_t)st.st_size;
    p->status = 200;
    p->ctype = content_type(file);
    p->replied = true;
    return 0;
}
