/*
 * Fuzz target: everything the telephony parses itself (libre parses SIP
 * and SDP): the dial plan files, numbers given to the toll-fraud guard,
 * address lists, digest nonces coming back from phones, WAV files
 * dropped in as prompt recordings, the queues' file (queues.json), and
 * SRTP keys offered in SDP (a=crypto). The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tel/tel_int.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    char *s;
    if (!ready) {
        log_set_level(LOG_ERROR);
        if (geo_load(fuzz_data_dir()) || dialplan_load(fuzz_data_dir()))
            fuzz_setup_failed("the data files");
        ready = true;
    }
    if (size < 1 || !(s = malloc(size)))
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    size_t n = size - 1;
    switch (data[0] % 7) {
    case 0: {
        /* numbers.csv and outbound.csv, split at the first NUL */
        size_t a = strnlen(s, n);
        const char *b = a < n ? s + a + 1 : "";
        if (!dialplan_parse(s, a, b, strlen(b)))
            dialplan_load(fuzz_data_dir());
        break;
    }
    case 1: {
        char e164[20];
        const char *co = NULL;
        if (!dialplan_outbound_check(s, e164, sizeof(e164), &co) && (!co || strlen(e164) < 6))
            __builtin_trap();
        (void)dialplan_country(s);
        break;
    }
    case 2: {
        size_t a = strnlen(s, n);
        const char *list = a < n ? s + a + 1 : "127.0.0.0/8,::1";
        struct addr_list l;
        if (!addr_list_parse(list, &l) && (l.n < 0 || l.n > ADDR_LIST_MAX))
            __builtin_trap();
        (void)addr_list_has(&l, s);
        break;
    }
    case 3: {
        int r = digest_nonce_check(s, 1800000000, 300);
        if (r == 0)
            __builtin_trap(); /* nobody can forge a fresh nonce */
        break;
    }
    case 4: {
        int16_t *pcm = NULL;
        size_t count = 0;
        if (!wav_parse((const unsigned char *)data + 1, n, &pcm, &count) && count > n / 2)
            __builtin_trap();
        free(pcm);
        break;
    }
    case 6: {
        int tag;
        unsigned char key[SDES_KEY_LEN];
        if (!sdes_crypto_parse(s, &tag, key) && (tag < 0 || !strstr(s, "inline:")))
            __builtin_trap();
        break;
    }
    case 5:
        if (!queues_parse(s, n)) {
            /* a plan that loads has a general queue per language, named */
            if (queues_index(0, NULL) != 0 || queues_services() < 1 || strcmp(queues_service(0), "general") ||
                strcmp(queues_name(0), "ar"))
                __builtin_trap();
        }
        break;
    }
    err_clear();
    free(s);
    return 0;
}
