/*
 * The figures as files: CSV (RFC 4180) and XLSX (libxlsxwriter). Both
 * take their columns from stats_columns, as the API's JSON does.
 */
#include <stdio.h>
#include <string.h>

#include <xlsxwriter.h>

#include "stats.h"
#include "core/core.h"

/* A CSV field: quoted when it holds a comma, a quote or a line break, and
 * never starting with = + - @ as text (a spreadsheet would run it). */
static void csv_text(struct sbuf *b, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL || strchr("=+-@", s[0] ? s[0] : ' ');
    if (!quote) {
        sbuf_adds(b, s);
        return;
    }
    sbuf_adds(b, "\"");
    if (strchr("=+-@", s[0] ? s[0] : ' '))
        sbuf_adds(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sbuf_add(b, "\"", 1); /* a quote is doubled */
        sbuf_add(b, p, 1);
    }
    sbuf_adds(b, "\"");
}

static void csv_number(struct sbuf *b, const struct stats_column *c, double v)
{
    if ((c->type == SC_SHARE || c->type == SC_SECONDS) && v < 0)
        return; /* no denominator: an empty field, never 0 */
    if (c->type == SC_SHARE)
        sbuf_addf(b, "%.4f", v);
    else if (c->type == SC_SECONDS)
        sbuf_addf(b, "%.1f", v);
    else
        sbuf_addf(b, "%.0f", v);
}

int stats_export_csv(const struct stats_report *r, struct sbuf *out)
{
    const struct stats_row *rows;
    int n = stats_report_rows(r, &rows);
    unsigned by = stats_report_by(r);
    sbuf_adds(out, "key");
    for (int d = 0; d < SD_DIMS; d++)
        if (by & STATS_BY(d))
            sbuf_addf(out, ",%s", stats_dim_names[d]);
    for (int k = 0; k < stats_ncolumns; k++)
        sbuf_addf(out, ",%s%s", stats_columns[k].name, stats_columns[k].type == SC_STATE ? "_s" : "");
    sbuf_adds(out, "\r\n");
    for (int i = 0; i < n; i++) {
        csv_text(out, rows[i].key);
        for (int d = 0; d < SD_DIMS; d++)
            if (by & STATS_BY(d)) {
                sbuf_adds(out, ",");
                csv_text(out, rows[i].value[d]);
            }
        for (int k = 0; k < stats_ncolumns; k++) {
            sbuf_adds(out, ",");
            csv_number(out, &stats_columns[k], stats_column_value(&stats_columns[k], &rows[i]));
        }
        sbuf_adds(out, "\r\n");
    }
    return out->oom ? err_set(WASL_ETOOBIG, "stats.too_big", "the figures do not fit the export's cap") : 0;
}

int stats_export_xlsx(const struct stats_report *r, const char *const *about, int nabout, const char *path)
{
    const struct stats_row *rows;
    int n = stats_report_rows(r, &rows);
    unsigned by = stats_report_by(r);
    int nd = 0; /* the dimensions' columns after the key */
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        return err_set(WASL_EIO, "stats.xlsx", "cannot create the workbook");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "figures"), *wp = workbook_add_worksheet(wb, "pauses"),
                  *wa = workbook_add_worksheet(wb, "about");
    lxw_format *head = workbook_add_format(wb), *pct = workbook_add_format(wb), *secs = workbook_add_format(wb);
    format_set_bold(head);
    format_set_num_format(pct, "0.0%");
    format_set_num_format(secs, "0.0");
    worksheet_write_string(ws, 0, 0, "key", head);
    for (int d = 0; d < SD_DIMS; d++)
        if (by & STATS_BY(d))
            worksheet_write_string(ws, 0, (lxw_col_t)(1 + nd++), stats_dim_names[d], head);
    for (int k = 0; k < stats_ncolumns; k++) {
        char name[48];
        snprintf(name, sizeof(name), "%s%s", stats_columns[k].name, stats_columns[k].type == SC_STATE ? "_s" : "");
        worksheet_write_string(ws, 0, (lxw_col_t)(k + 1 + nd), name, head);
    }
    worksheet_freeze_panes(ws, 1, 1 + nd);
    for (int i = 0; i < n; i++) {
        lxw_row_t row = (lxw_row_t)(i + 1);
        worksheet_write_string(ws, row, 0, rows[i].key, NULL);
        for (int d = 0, col = 1; d < SD_DIMS; d++)
            if (by & STATS_BY(d))
                worksheet_write_string(ws, row, (lxw_col_t)col++, rows[i].value[d], NULL);
        for (int k = 0; k < stats_ncolumns; k++) {
            const struct stats_column *c = &stats_columns[k];
            double v = stats_column_value(c, &rows[i]);
            if ((c->type == SC_SHARE || c->type == SC_SECONDS) && v < 0)
                continue; /* no denominator: an empty cell, never 0 */
            worksheet_write_number(ws, row, (lxw_col_t)(k + 1 + nd), v,
                                   c->type == SC_SHARE     ? pct
                                   : c->type == SC_SECONDS ? secs
                                                           : NULL);
        }
    }
    const char(*reasons)[32];
    const int64_t *ms;
    int np = stats_report_pauses(r, &reasons, &ms);
    worksheet_write_string(wp, 0, 0, "reason", head);
    worksheet_write_string(wp, 0, 1, "seconds", head);
    for (int i = 0; i < np; i++) {
        worksheet_write_string(wp, (lxw_row_t)(i + 1), 0, reasons[i], NULL);
        worksheet_write_number(wp, (lxw_row_t)(i + 1), 1, (double)(ms[i] / 1000), NULL);
    }
    for (int i = 0; i < nabout; i++) {
        const char *eq = strchr(about[i], '=');
        char name[64];
        snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - about[i]) : (int)strlen(about[i]), about[i]);
        worksheet_write_string(wa, (lxw_row_t)i, 0, name, head);
        worksheet_write_string(wa, (lxw_row_t)i, 1, eq ? eq + 1 : "", NULL);
    }
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR)
        return err_set(WASL_EIO, "stats.xlsx", "the workbook could not be written: %s", lxw_strerror(e));
    return 0;
}
