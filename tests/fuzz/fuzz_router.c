/*
 * Fuzz target: route matching on arbitrary request paths and methods,
 * against the real route table.
 */
#include <stdint.h>
#include <string.h>

#include "http/http_int.h"
#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    char path[2048], allow[128];
    struct req_priv p;
    struct arena *a;
    bool found;
    const struct route *rt;

    if (size < 1 || size >= sizeof(path))
        return 0;
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    rt = router_match(api_routes, api_routes_count, methods[data[0] % 7], path, allow, sizeof(allow), &found);
    if (rt && arena_alloc(&a) == 0) {
        memset(&p, 0, sizeof(p));
        if (router_capture(rt, path, &p, a) != 0)
            __builtin_trap(); /* a matched route must capture */
        arena_free(a);
    }
    return 0;
}
