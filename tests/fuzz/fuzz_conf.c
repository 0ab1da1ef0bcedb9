/*
 * Fuzz target: the settings reader (INI through libinih, our line reader,
 * value validation) on arbitrary bytes, against every real settings table.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/core_int.h"
#include "store/store.h"
#include "auth/auth.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        log_set_level(LOG_ERROR);
        conf_register(store_conf, store_conf_count);
        conf_register(http_conf, http_conf_count);
        conf_register(auth_conf, auth_conf_count);
        ready = 1;
    }
    if (conf_parse_buffer((const char *)data, size, "fuzz.conf", true) == 0) {
        /* Whatever was accepted must read back as its declared type. */
        (void)conf_int("http.port");
        (void)conf_bool("http.secure_cookies");
        (void)conf_str("store.url");
    }
    return 0;
}
