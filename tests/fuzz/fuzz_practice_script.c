/*
 * Fuzz target: practice scripts (data/practice/scripts). Whatever the
 * bytes, the parser accepts a script or refuses it with a message under
 * practice.invalid_script; an accepted script is within its limits and is
 * scored against a record drawn from the input, which must give 0 to 100,
 * the sum of the criteria met.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "practice/practice.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct practice_script s;
    if (!ready) {
        log_set_level(LOG_ERROR);
        if (geo_load_languages(fuzz_data_dir()))
            fuzz_setup_failed("data/languages.json");
        ready = 1;
    }
    if (size > PRACTICE_FILE_MAX + 16)
        return 0;
    if (practice_script_parse((const char *)data, size, "fuzz.json", &s)) {
        if (!err_message()[0] || strcmp(err_code(), "practice.invalid_script"))
            __builtin_trap(); /* a refusal says why, under its code */
        err_clear();
        return 0;
    }
    if (s.nlines < 1 || s.nlines > PRACTICE_LINES_MAX || !s.id[0] || !s.article[0] || s.deadline_days < 0 ||
        s.deadline_days > PRACTICE_DEADLINE_MAX_DAYS || s.pause_ms < 0 || s.pause_ms > PRACTICE_PAUSE_MAX_MS)
        __builtin_trap();
    for (int i = 0; i < s.nlines; i++)
        if (!s.lines[i][0] || strlen(s.lines[i]) >= PRACTICE_LINE_MAX)
            __builtin_trap();
    uint8_t b = size ? data[size / 2] : 0;
    struct practice_record r = {.case_type = b & 1 ? s.case_type : "x",
                                .category = b & 2 ? s.category : NULL,
                                .due_day = b & 4 ? 20000 + s.deadline_days + (b >> 7) : INT64_MIN,
                                .call_day = 20000};
    if (b & 8)
        r.articles[r.narticles++] = s.article;
    struct practice_result res;
    practice_score(&s, &r, &res);
    int want = (res.article ? PRACTICE_W_ARTICLE : 0) + (res.case_type ? PRACTICE_W_TYPE : 0) +
               (res.category ? PRACTICE_W_CATEGORY : 0) + (res.deadline ? PRACTICE_W_DEADLINE : 0);
    if (res.score < 0 || res.score > 100 || res.score != want)
        __builtin_trap();
    err_clear();
    return 0;
}
