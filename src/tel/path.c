/*
 * The Path of a REGISTER (RFC 3327): the proxies between an agent's phone
 * and wasl (Kamailio in front of several nodes), checked hop by hop against
 * sip.path_from, kept with the phone's binding as text, and turned back
 * into the Route set of every request wasl sends to the phone.
 */
#include <string.h>
#include <strings.h>

#include <re.h>

#include "rt.h"

/* One hop: "<URI>" with a sip: or sips: URI whose host is an address of a
 * configured proxy and that routes loosely (lr); out gets the URI. */
static int hop_check(const char *p, size_t l, const struct addr_list *allowed, char *out, size_t n, const char **reason)
{
    struct pl pl = {p, l}, lr;
    struct uri u;
    struct sa sa;
    char host[64];

    if (l < 2 || p[0] != '<' || p[l - 1] != '>') {
        *reason = "Path hop not in angle brackets";
        return WASL_EINVAL;
    }
    pl.p++;
    pl.l -= 2;
    if (!pl.l || pl.l >= n || pl.l >= PATH_URI_MAX) {
        *reason = "Path URI empty or too long";
        return WASL_EINVAL;
    }
    for (size_t i = 0; i < pl.l; i++)
        if (pl.p[i] <= ' ' || pl.p[i] == 0x7f || strchr("<>\"?,", pl.p[i])) {
            *reason = "Path URI with a character it may not hold";
            return WASL_EINVAL;
        }
    /* the scheme checked on the text itself: libre's decoder is lenient
     * before it */
    bool sip = pl.l > 4 && !strncasecmp(pl.p, "sip:", 4), sips = pl.l > 5 && !strncasecmp(pl.p, "sips:", 5);
    if ((!sip && !sips) || uri_decode(&u, &pl) || pl_strcasecmp(&u.scheme, sip ? "sip" : "sips")) {
        *reason = "Path hop not a sip: URI";
        return WASL_EINVAL;
    }
    if (sa_set(&sa, &u.host, u.port) || sa_ntop(&sa, host, sizeof(host))) {
        *reason = "Path hop not an IP address";
        return WASL_EINVAL;
    }
    if (!allowed || !addr_list_has(allowed, host)) {
        *reason = "Path hop not a proxy of sip.path_from";
        return WASL_EINVAL;
    }
    if (msg_param_exists(&u.params, "lr", &lr)) {
        *reason = "Path hop not a loose router (lr)";
        return WASL_EINVAL;
    }
    memcpy(out, pl.p, pl.l);
    out[pl.l] = '\0';
    return 0;
}

int regpath_add(char *out, size_t n, const char *value, size_t len, const struct addr_list *allowed, const char **reason)
{
    size_t used = strlen(out), i = 0;
    int hops = 0;
    char uri[PATH_URI_MAX];

    for (size_t k = 0; k < used; k++)
        hops += out[k] == '<';
    while (i < len) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        if (i == len)
            break;
        size_t start = i;
        /* to the end of the name-addr: the '>' that closes it */
        while (i < len && value[i] != '>' && value[i] != ',')
            i++;
        if (i == len || value[i] != '>') {
            *reason = "Path hop not in angle brackets";
            return WASL_EINVAL;
        }
        i++;
        int err = hop_check(value + start, i - start, allowed, uri, sizeof(uri), reason);
        if (err)
            return err;
        while (i < len && (value[i] == ' ' || value[i] == '\t'))
            i++;
        if (i < len && value[i] != ',') {
            *reason = "Path hop with parameters or text after it";
            return WASL_EINVAL;
        }
        if (++hops > PATH_HOPS_MAX) {
            *reason = "Path with too many hops";
            return WASL_EINVAL;
        }
        size_t add = strlen(uri) + 2 + (used ? 1 : 0);
        if (used + add >= n || used + add >= PATH_TEXT_MAX) {
            *reason = "Path too long";
            return WASL_EINVAL;
        }
        used += (size_t)snprintf(out + used, n - used, "%s<%s>", used ? "," : "", uri);
    }
    return 0;
}

/* Removes the lr parameters (";lr" followed by ';' or the end) from a URI:
 * libre's dialogs add one to every route. */
static void lr_drop(char *uri)
{
    char *p = strchr(uri, ';');
    while (p) {
        if (strncasecmp(p, ";lr", 3) || (p[3] && p[3] != ';')) {
            p = strchr(p + 1, ';');
            continue;
        }
        memmove(p, p + 3, strlen(p + 3) + 1);
        p = *p == ';' ? p : NULL;
    }
}

int regpath_routes(const char *text, char routes[][PATH_URI_MAX], int max)
{
    int n = 0;
    for (const char *p = text ? strchr(text, '<') : NULL; p && n < max; p = strchr(p, '<')) {
        const char *e = strchr(p, '>');
        if (!e)
            break;
        size_t l = (size_t)(e - p - 1);
        if (l && l < PATH_URI_MAX) {
            memcpy(routes[n], p + 1, l);
            routes[n][l] = '\0';
            lr_drop(routes[n++]);
        }
        p = e;
    }
    return n;
}
