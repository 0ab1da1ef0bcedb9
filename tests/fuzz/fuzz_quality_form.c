/*
 * Fuzz target: evaluation form files (data/quality/forms). Whatever the
 * bytes, the parser accepts a form or refuses it with a message; an
 * accepted form is then scored with answers drawn from the input, which
 * must give a score from 0 to 100 or a named refusal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quality/quality.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qf_form *f = NULL;
    if (!ready) {
        log_set_level(LOG_ERROR);
        if (geo_load_languages(fuzz_data_dir()))
            fuzz_setup_failed("data/languages.json");
        ready = 1;
    }
    if (size > QF_FILE_MAX + 16)
        return 0;
    if (qf_parse((const char *)data, size, "fuzz.json", &f)) {
        if (!err_message()[0] || strcmp(err_code(), "quality.invalid_form"))
            __builtin_trap(); /* a refusal says why, under its code */
        err_clear();
        return 0;
    }
    int a[QF_QUESTIONS_MAX];
    for (int i = 0; i < f->nq; i++) {
        uint8_t b = size ? data[(size_t)i * 7 % size] : 0;
        a[i] = b % 5 == 0 ? QF_NA : (int)(b % (unsigned)(f->q[i].max + 2)) - (b & 0x80 ? 1 : 0);
    }
    struct qf_result r;
    if (qf_score(f, a, &r) == 0) {
        if (!(r.score >= 0 && r.score <= 100 && r.raw >= 0 && r.raw <= 100 + 1e-9) || (r.failed && r.score != 0))
            __builtin_trap();
    } else if (!err_code()[0]) {
        __builtin_trap();
    }
    err_clear();
    qf_free(f);
    return 0;
}
