/*
 * Fuzz target: case references as typed or read out. Whatever the bytes,
 * the parser answers or refuses; what it accepts is a canonical reference
 * that parses to itself, and changing any one of its characters makes it
 * invalid (the check character's promise).
 */
#include <stdint.h>
#include <string.h>

#include "cases/cases_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char in[128], out[CASE_REF_LEN + 1], again[CASE_REF_LEN + 1];

    if (size >= sizeof(in))
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    if (case_ref_parse(in, out) != 0) {
        err_clear();
        return 0;
    }
    if (strlen(out) != CASE_REF_LEN || out[3] != '-' || out[7] != '-' || case_ref_parse(out, again) || strcmp(out, again))
        __builtin_trap();
    for (int i = 0; i < CASE_REF_LEN; i++) {
        if (out[i] == '-')
            continue;
        char bad[CASE_REF_LEN + 1];
        memcpy(bad, out, sizeof(bad));
        bad[i] = alphabet[(strchr(alphabet, out[i]) - alphabet + 1 + data[0] % 31) % 32];
        if (case_ref_parse(bad, again) == 0)
            __builtin_trap();
        err_clear();
    }
    return 0;
}
