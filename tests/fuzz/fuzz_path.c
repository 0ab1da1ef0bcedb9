/*
 * Fuzz target: the Path header values of a REGISTER (path.c, RFC 3327) as a
 * proxy would relay them. What is taken must name only allowed proxies,
 * stay within its limits, and come back as routes, one per hop, each
 * without lr (libre adds it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tel/tel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct addr_list allowed;
    static bool ready;
    char out[PATH_TEXT_MAX] = "", routes[PATH_HOPS_MAX][PATH_URI_MAX];
    const char *reason = NULL;

    if (!ready) {
        if (addr_list_parse("127.0.0.0/8,::1", &allowed))
            __builtin_trap();
        ready = true;
    }
    /* the bytes as one value (not NUL-terminated: the length is the limit) */
    int err = regpath_add(out, sizeof(out), (const char *)data, size, &allowed, &reason);
    if (err && (!reason || !*reason))
        __builtin_trap(); /* a refusal names its fault */
    if (err)
        return 0;
    size_t l = strlen(out);
    if (l >= PATH_TEXT_MAX)
        __builtin_trap();
    int hops = 0;
    for (size_t i = 0; i < l; i++)
        hops += out[i] == '<';
    if (hops > PATH_HOPS_MAX || regpath_routes(out, routes, PATH_HOPS_MAX) != hops)
        __builtin_trap();
    for (int i = 0; i < hops; i++) {
        if (strncasecmp(routes[i], "sip", 3) || strcasestr(routes[i], ";lr;") || strchr(routes[i], '<') || strchr(routes[i], '>'))
            __builtin_trap();
        size_t rl = strlen(routes[i]);
        if (rl >= 3 && !strcasecmp(routes[i] + rl - 3, ";lr"))
            __builtin_trap();
    }
    /* the stored form is taken again as it is (a node reading the store) */
    char again[PATH_TEXT_MAX] = "";
    if (regpath_add(again, sizeof(again), out, l, &allowed, &reason) || strcmp(again, out))
        __builtin_trap();
    return 0;
}
