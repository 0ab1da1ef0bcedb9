/*
 * core_int.h: declarations private to src/core, its unit tests and its fuzz
 * targets. Nothing outside src/core and tests/ includes this file; the public
 * API is core.h. Keep one section per concern, in the order of core.h.
 */
#ifndef WASL_CORE_INT_H
#define WASL_CORE_INT_H

#include <stddef.h>

#include "core.h"

/* ---- settings --------------------------------------------------------------
 * The settings reader on a text in memory (for the fuzz target); name stands
 * for the file name in messages. apply=false only checks.
 */
int conf_parse_buffer(const char *buf, size_t n, const char *name, bool apply);

/* ---- time zones ----------------------------------------------------------
 * The TZif parser behind tz_get(), reachable from memory so that it can be
 * fuzzed and fed corrupt files without touching the zoneinfo directory.
 */
/* Parses n bytes of TZif data; name (copied, may be NULL) is what tz_name()
 * returns. On success *out is a new zone owned by the caller, released with
 * tz_free(). On error *out is untouched and the result is WASL_EINVAL (malformed),
 * WASL_ETOOBIG (a count or the size over its cap), both with hint code
 * "tz.bad_tzif", or WASL_ENOMEM. */
int tz_parse_buffer(const unsigned char *buf, size_t n, const char *name, struct tz **out);
/* Frees a zone from tz_parse_buffer(); NULL is a no-op. Never call it on a zone
 * from tz_get(): those are shared and live until exit. */
void tz_free(struct tz *z);

#endif
