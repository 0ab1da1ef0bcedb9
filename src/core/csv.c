/*
 * CSV reader for the data files (countries, consulates, holidays, entry
 * rules...): RFC 4180 quoting, a header row naming the columns, '#' comment
 * lines, and caps on field size and count. Errors say "file:line: what".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define CSV_FILE_MAX (16u << 20)

static int row_error(const char *src, int line, const char *what)
{
    return err_set(WASL_EINVAL, "data.invalid_csv", "%s:%d: %s", src, line, what);
}

const char *csv_get(const struct csv_row *r, const char *column)
{
    for (int i = 0; i < r->nheader; i++)
        if (strcmp(r->header[i], column) == 0)
            return i < r->n ? r->f[i] : "";
    return NULL;
}

int csv_parse(const char *text, size_t len, const char *src, csv_row_h h, void *arg)
{
    char *fields[CSV_MAX_FIELDS], *header[CSV_MAX_FIELDS];
    char *buf = malloc(len + 2), *o = buf; /* + the last field's NUL at EOF */
    const char *p = text, *end = text + len;
    int line = 1, nheader = 0, err = 0;

    if (!buf)
        return WASL_ENOMEM;
    if (!utf8_valid(text, len)) {
        err = row_error(src, 1, "the file is not valid UTF-8");
        goto out;
    }
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* byte-order mark from spreadsheet exports */
    while (p < end) {
        int n = 0, start_line = line;
        /* Comment and blank lines between records. */
        if (*p == '#' || *p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            while (p < end && *p != '\n')
                p++;
            p++;
            line++;
            continue;
        }
        for (;;) {
            char *f = o;
            if (n == CSV_MAX_FIELDS) {
                err = row_error(src, start_line, "too many fields");
                goto out;
            }
            if (p < end && *p == '"') {
                p++;
                for (;;) {
                    if (p >= end) {
                        err = row_error(src, start_line, "a quoted field is not closed");
                        goto out;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            *o++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n')
                        line++;
                    *o++ = *p++;
                }
                if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
                    err = row_error(src, line, "text after a closing quote");
                    goto out;
                }
            } else {
                while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
                    if (*p == '"') {
                        err = row_error(src, line, "a quote inside an unquoted field");
                        goto out;
                    }
                    if (*p == '\0') {
                        err = row_error(src, line, "a NUL byte");
                        goto out;
                    }
                    *o++ = *p++;
                }
            }
            if ((size_t)(o - f) > CSV_FIELD_MAX) {
                err = row_error(src, line, "a field is too long");
                goto out;
            }
            *o++ = '\0';
            fields[n++] = f;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == '\r')
                p++;
            if (p < end && *p == '\n')
                p++;
            break;
        }
        if (!nheader) {
            memcpy(header, fields, sizeof(fields[0]) * (size_t)n);
            nheader = n;
        } else {
            struct csv_row r = {fields, n, start_line, header, nheader};
            if (n != nheader) {
                char msg[80];
                snprintf(msg, sizeof(msg), "%d fields where the header has %d", n, nheader);
                err = row_error(src, start_line, msg);
                goto out;
            }
            if ((err = h(&r, arg))) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s", err_message());
                err_set(err, err_code()[0] ? err_code() : "data.invalid_csv", "%s:%d: %s", src, start_line, msg);
                goto out;
            }
        }
        line++;
    }
    if (!nheader)
        err = row_error(src, 1, "no header row");
out:
    free(buf);
    return err;
}

int csv_load_file(const char *path, csv_row_h h, void *arg)
{
    char *buf;
    size_t n;
    int err = file_read(path, &buf, &n, CSV_FILE_MAX);

    if (!err)
        err = csv_parse(buf, n, path, h, arg);
    free(buf);
    return err;
}
