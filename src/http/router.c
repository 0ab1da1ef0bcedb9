/*
 * Route matching: literal segments and {name} captures, the table searched
 * in order. Small tables (tens of routes) make a linear scan the fastest and
 * the simplest thing here.
 */
#include <string.h>

#include "http_int.h"

/* Matches one pattern against a path; captures go to p. */
static bool match(const char *pattern, const char *path, struct req_priv *p, struct arena *a)
{
    int n = 0;

    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++;
        path++;
        const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
        size_t sl = se ? (size_t)(se - path) : strlen(path);
        if (pl > 2 && pattern[0] == '{' && pattern[pl - 1] == '}') {
            if (sl == 0 || n == HTTP_MAX_PARAMS)
                return false;
            if (p && a) {
                p->pnames[n] = arena_strndup(a, pattern + 1, pl - 2);
                p->pvalues[n] = arena_strndup(a, path, sl);
            }
            n++;
        } else if (pl != sl || strncmp(pattern, path, pl) != 0) {
            return false;
        }
        pattern += pl;
        path += sl;
    }
    if (*pattern || *path)
        return false;
    if (p)
        p->nparams = n;
    return true;
}

const struct route *router_match(const struct route *routes, size_t n, const char *method, const char *path, char *allow,
                                 size_t allow_n, bool *path_found)
{
    size_t k = 0;
    bool head = strcmp(method, "HEAD") == 0;

    *path_found = false;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match(routes[i].pattern, path, NULL, NULL))
            continue;
        *path_found = true;
        if (strcmp(routes[i].method, method) == 0 || (head && strcmp(routes[i].method, "GET") == 0))
            return &routes[i];
        /* Collect the methods this path does answer to, for 405's Allow. */
        const char *m = routes[i].method;
        if (!strstr(allow, m) && k + strlen(m) + 8 < allow_n) {
            k += (size_t)snprintf(allow + k, allow_n - k, "%s%s", k ? ", " : "", m);
            if (strcmp(m, "GET") == 0)
                k += (size_t)snprintf(allow + k, allow_n - k, ", HEAD");
        }
    }
    return NULL;
}

int router_capture(const struct route *rt, const char *path, struct req_priv *p, struct arena *a)
{
    return match(rt->pattern, path, p, a) ? 0 : WASL_ENOENT;
}
