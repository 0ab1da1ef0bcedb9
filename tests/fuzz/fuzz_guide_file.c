/*
 * Fuzz target: guide article files (front matter and Markdown body, as
 * imported by `wasl guide import`), then the Markdown renderer and the
 * plain-text extraction used for indexing, on whatever was accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guide/guide_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guide_version v;
    memset(&v, 0, sizeof(v));
    if (guide_file_parse((const char *)data, size, "fuzz.md", &v) == 0) {
        char *html = guide_render_markdown(v.body), *plain = md_plain(v.body), *back = guide_file_write(&v);
        struct guide_version w;
        memset(&w, 0, sizeof(w));
        /* What was accepted must be written back in a form that reads again. */
        if (back && guide_file_parse(back, strlen(back), "back.md", &w) != 0)
            __builtin_trap();
        guide_version_clear(&w);
        free(html);
        free(plain);
        free(back);
    }
    guide_version_clear(&v);
    err_clear();
    return 0;
}
