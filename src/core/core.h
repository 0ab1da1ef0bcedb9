/*
 * core: the pieces every wasl module uses and that know no domain word.
 * Errors with stable API codes, logging with request ids, the injectable clock,
 * arenas and string buffers, settings tables, UTF-8 checks, JSON input specs,
 * random tokens, and IANA time zones read from TZif files.
 */
#ifndef WASL_CORE_H
#define WASL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors -------------------------------------------------------------
 * Functions return 0 or one of these. The optional hint (stable API code,
 * human message, offending field) is kept per thread and read by whoever
 * turns the error into an answer (the HTTP layer, the CLI).
 */
enum {
    WASL_OK = 0,
    WASL_EINVAL,    /* bad input: 400 */
    WASL_ENOENT,    /* not found: 404 */
    WASL_ENOMEM,    /* out of memory: 500 */
    WASL_ECONFLICT, /* state conflict or duplicate: 409 */
    WASL_ELIMIT,    /* rate limited or locked out: 429 */
    WASL_ETOOBIG,   /* input over its cap: 413 */
    WASL_EDB,       /* store failure: 503 */
    WASL_EAUTH,     /* not authenticated: 401 */
    WASL_EPERM,     /* authenticated but not allowed: 403 */
    WASL_EBUSY,     /* retryable contention (busy, serialization): retried, else 503 */
    WASL_EIO,       /* file or system error: 500 */
    WASL_EINTERNAL, /* invariant broken: 500 */
    WASL_ERR_COUNT
};

/* Sets this thread's error hint and returns err, so callers write
 * `return err_set(WASL_EINVAL, "auth.weak_password", "at least %d characters", n);`
 * code is a stable dotted API code (static string); fmt may be NULL. */
int err_set(int err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, naming the input field at fault (copied). */
int err_set_field(int err, const char *code, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Seconds after which a WASL_ELIMIT error may be retried (0: unknown); the
 * HTTP layer sends it as Retry-After. Cleared by err_set() and err_clear(). */
void err_set_retry_after(int64_t seconds);
int64_t err_retry_after(void);
void err_clear(void);
int err_last(void);
const char *err_code(void);    /* "" when unset */
const char *err_message(void); /* "" when unset */
const char *err_field(void);   /* "" when unset */
const char *err_name(int err); /* "EINVAL", ... */
/* The default API code and message for err when no hint was set. */
const char *err_default_code(int err);
const char *err_default_message(int err);
int err_http_status(int err);

/* ---- logging ------------------------------------------------------------ */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level l);
int log_parse_level(const char *s, enum log_level *out);
/* The request id printed in every log line of this thread ("" for none). */
void log_set_request_id(const char *id);
const char *log_request_id(void);
void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The calling thread's lines go through a lock-free ring written out by a
 * thread of its own (the real-time thread: it must never wait on stderr).
 * One producer at a time; stop writes out what is left. Lines that find
 * the ring full are dropped and their number logged. */
int log_ring_start(void);
void log_ring_stop(void);
/* ---- a lock-free single-producer single-consumer ring ------------------
 * Fixed-size slots in memory the caller gives; one thread puts, one takes,
 * neither ever waits: a put that finds the ring full fails (the producer
 * counts the drop). Used by the log (the real-time thread's lines) and by
 * call recordings (their 20 ms frames). */
struct spsc_ring {
    unsigned char *slots;
    size_t slot_size, count;
    _Atomic size_t head, tail; /* written by the producer, by the consumer */
};
void spsc_init(struct spsc_ring *r, void *slots, size_t slot_size, size_t count);
/* Producer: the next free slot to fill (NULL: full), then spsc_push. */
void *spsc_slot(struct spsc_ring *r);
void spsc_push(struct spsc_ring *r);
/* Consumer: the oldest slot (NULL: empty), then spsc_pop to free it. */
void *spsc_peek(struct spsc_ring *r);
void spsc_pop(struct spsc_ring *r);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- clock --------------------------------------------------------------
 * One clock for the whole program: microseconds since the Unix epoch, UTC.
 * Tests move it: clock_set() pins "now" at an instant that then runs on at the
 * real rate (so time-outs still pass); clock_freeze() stops it.
 */
typedef int64_t wtime_t; /* microseconds since 1970-01-01T00:00:00Z */
#define WTIME_SEC INT64_C(1000000)
wtime_t clock_now(void);
int64_t clock_now_sec(void);
void clock_set(wtime_t t);
void clock_freeze(wtime_t t);
void clock_reset(void);
/* Monotonic microseconds for measuring durations (not injectable). */
int64_t clock_mono_us(void);
/* The system's real-time clock wait_us from now, as pthread_cond_timedwait()
 * wants its deadline (not the injectable clock: a wait is real time). */
struct timespec;
void clock_deadline(int64_t wait_us, struct timespec *out);
/* RFC 3339 UTC with milliseconds: "2026-11-28T13:20:00.123Z". buf >= 32. */
void clock_format_utc(wtime_t t, char *buf, size_t n);
/* Parses "2026-11-28T19:59:59Z", "...+01:00", "2026-11-28 19:59:59", "2026-11-28". */
int clock_parse_utc(const char *s, wtime_t *out);

/* ---- arenas and buffers ------------------------------------------------- */
struct arena;
int arena_alloc(struct arena **out);
void arena_free(struct arena *a);
/* Zeroed memory living until arena_free(); NULL when out of memory. */
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable string with a hard cap; every append checks it. */
struct sbuf {
    char *p;
    size_t len, cap, max;
    bool oom; /* sticky: an append failed */
};
void sbuf_init(struct sbuf *b, size_t max);
void sbuf_release(struct sbuf *b);
int sbuf_add(struct sbuf *b, const void *s, size_t n);
int sbuf_adds(struct sbuf *b, const char *s);
int sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the string out (caller frees); the buffer is left empty. */
char *sbuf_take(struct sbuf *b);

/* ---- settings -----------------------------------------------------------
 * Each module declares its settings in a table; main registers the tables,
 * then the file, then WASL_<SECTION>_<KEY> environment variables, then the
 * command line set values. `wasl help config` is generated from the tables.
 */
enum conf_type { CONF_STR, CONF_INT, CONF_BOOL, CONF_DURATION, CONF_PATH };
struct conf_def {
    const char *name; /* "section.key" */
    enum conf_type type;
    const char *def;
    long long min, max; /* for INT and DURATION (seconds); 0,0 = any */
    const char *help;
};
int conf_register(const struct conf_def *defs, size_t n);
/* Reads an INI file. A bad line is "file:line: what is wrong" in the error hint. */
int conf_load_file(const char *path);
/* Validates a file without applying it; reports every bad line on stderr.
 * Returns 0 when the file is good. */
int conf_check_file(const char *path);
int conf_apply_env(void);
int conf_set(const char *name, const char *value, const char *origin);
const char *conf_str(const char *name);
long long conf_int(const char *name); /* INT, DURATION (seconds) */
bool conf_bool(const char *name);
/* Writes the settings reference (Markdown when md) to a FILE*. */
void conf_write_help(void *fp, bool md);
void conf_reset(void); /* forget tables and values (tests) */

/* ---- paths ---------------------------------------------------------------- */
/* Finds rel ("web", "data") in the program's folder or up to three folders
 * above it (the source tree), or in <prefix>/share/wasl/. out >= PATH_MAX. */
int path_near_exe(const char *rel, char *out, size_t n);
/* Reads a whole file of at most max bytes into *buf (NUL-terminated, caller
 * frees). WASL_ENOENT "data.missing", WASL_ETOOBIG "data.too_large". */
int file_read(const char *path, char **buf, size_t *len, size_t max);

/* ---- UTF-8 -------------------------------------------------------------- */
/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);
/* Number of code points of a valid UTF-8 string. */
size_t utf8_len(const char *s);

/* ---- random tokens ------------------------------------------------------ */
int wrand_init(void);
void wrand_bytes(void *p, size_t n);
/* Lower-case hex of n random bytes into out (2n+1 bytes). */
void rand_hex(char *out, size_t nbytes);
void hex_encode(char *out, const unsigned char *in, size_t n);
/* Constant-time string equality. */
bool str_ct_equal(const char *a, const char *b);

/* ---- JSON input specs ---------------------------------------------------
 * Declares what a request body may hold; json_spec_parse() checks types,
 * required fields, sizes and UTF-8 and names the field on error.
 */
struct json_t;
enum jspec_type { JS_STR, JS_INT, JS_BOOL, JS_STR_OPT_NULL, JS_ARRAY, JS_OBJECT, JS_ARRAY_OPT_NULL /* null: out set to NULL */ };
struct json_spec {
    const char *name;
    enum jspec_type type;
    bool required;
    size_t max;       /* STR: max bytes; INT: unused */
    long long lo, hi; /* INT range */
    void *out;        /* const char ** (borrowed from the json), long long *, int * (bool) */
    bool *present;
};
/* Appends s as a JSON string (quotes included) to b. */
int json_add_string(struct sbuf *b, const char *s);
/* An instant as RFC 3339 UTC text ("2026-12-06T20:00:00Z"), JSON null for 0
 * (a new reference; NULL out of memory). */
struct json_t *json_utc_time(wtime_t t);
/* Parses body[0..n) as one JSON object. Owns nothing: *root must be
 * json_decref()'d by the caller on success. */
int json_parse_object(const char *body, size_t n, struct json_t **root);
int json_spec_parse(struct json_t *obj, const struct json_spec *spec, size_t nspec, bool allow_unknown);

/* ---- form bodies -------------------------------------------------------
 * application/x-www-form-urlencoded. body[0..n) is decoded in place and must
 * have one writable byte after it (body[n], a NUL). Every pair goes to h with
 * its decoded name and value; %00, bad escapes, a pair without '=' and
 * invalid UTF-8 are WASL_EINVAL. */
typedef int (*form_h)(const char *name, const char *value, void *arg);
int form_parse(char *body, size_t n, form_h h, void *arg);

/* ---- CSV data files ------------------------------------------------------
 * RFC 4180 with a header row; '#' starts a comment line. Each record is
 * handed to the callback with the header, so columns are read by name.
 */
#define CSV_MAX_FIELDS 64
#define CSV_FIELD_MAX 65536
struct csv_row {
    char **f;
    int n;
    int line;
    char **header;
    int nheader;
};
/* The field of column, "" when the row is short, NULL when no such column. */
const char *csv_get(const struct csv_row *r, const char *column);
typedef int (*csv_row_h)(const struct csv_row *r, void *arg);
/* src names the text in messages ("data/countries.csv"). A callback error
 * stops the parse and is returned with "src:line: " before its message. */
int csv_parse(const char *text, size_t len, const char *src, csv_row_h h, void *arg);
int csv_load_file(const char *path, csv_row_h h, void *arg);

/* ---- time zones ---------------------------------------------------------
 * IANA zones read from TZif files (RFC 8536, v1 to v4) under a zoneinfo
 * directory, including the POSIX TZ footer for instants past the table.
 * Zones are loaded once and never freed; all functions are thread-safe.
 */
struct tz;
struct tz_local {
    int year, month, day, hour, min, sec; /* month 1-12 */
    int wday;                             /* 0 = Sunday */
    int yday;                             /* 0-365 */
    int utoff;                            /* seconds east of UTC */
    bool isdst;
    char abbr[8];
};
/* Directory used by tz_get(); default /usr/share/zoneinfo. */
void tz_set_dir(const char *dir);
/* Finds (and caches) the zone named name, e.g. "Africa/Casablanca".
 * WASL_ENOENT for an unknown or malformed zone name. */
int tz_get(const char *name, const struct tz **out);
const char *tz_name(const struct tz *z);
/* UTC seconds to local wall-clock time in zone z. */
int tz_to_local(const struct tz *z, int64_t t, struct tz_local *out);
/* Local wall-clock time to UTC seconds. In a gap (spring forward) the time is
 * moved forward by the gap; in an overlap the earlier instant is chosen. */
int tz_from_local(const struct tz *z, int year, int month, int day, int hour, int min, int sec, int64_t *out);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t z, int *y, int *m, int *d);

/* The telephone keypad digit of a letter or digit (A B C -> 2, ...), or -1. */
int keypad_digit(char c);

#endif
