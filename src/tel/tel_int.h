/*
 * tel internals shared by the files of src/tel and its tests.
 */
#ifndef WASL_TEL_INT_H
#define WASL_TEL_INT_H

#include <fcntl.h>

#include "tel.h"
#include "geo/geo.h"

/* ---- dialplan.c: toll-free numbers and the toll-fraud guard ---- */
/* The digits of a number as written ("+33 800-100", "0033..."): 6 to 15. */
int dialplan_digits(const char *in, char *out, size_t n);
/* Both files' texts (numbers.csv, outbound.csv); replaces the plan only
 * when both are valid. */
int dialplan_parse(const char *numbers, size_t nlen, const char *outbound, size_t olen);
int dialplan_load(const char *data_dir);
/* The country of a toll-free number as the trunk sends it, NULL if none. */
const char *dialplan_country(const char *ruri_user);
int dialplan_numbers(void);
const char *dialplan_number_at(int i, const char **country);
/* 0 when wasl may call this number (a callback): E.164 digits to e164 and
 * the country. WASL_EPERM "tel.number_not_covered" / "tel.number_blocked". */
int dialplan_outbound_check(const char *number, char *e164, size_t n, const char **country);

#endif
