/*
 * The prompt catalog: the texts of data/prompts/<lang>.txt, the values
 * spoken in each language (numbers, times, dates, reference characters),
 * their generation into 8 kHz WAV files by espeak-ng and sox (cached: a
 * prompt is only made again when its text or voice changes), and turning
 * the IVR's items into the list of sounds to play. A recording in
 * data/prompts/<lang>/<id>.wav is used instead of the generated voice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tel_int.h"
#include "practice/practice.h"

#define TEXT_MAX 1024

struct entry {
    char id[IVR_NAME_MAX];
    char text[TEXT_MAX];
};

struct lang {
    char voice[16];
    int speed;
    char date[64], time[96], time_whole[96];
    char months[12][40];
    struct entry *e;
    int n, cap;
};

static struct lang langs[WASL_LANG_MAX];

static int lang_index(const char *l)
{
    for (int i = 0; l && i < wasl_nlanguages; i++)
        if (!strcmp(wasl_languages[i], l))
            return i;
    return -1;
}

static int add(struct lang *L, const char *id, const char *text)
{
    for (int i = 0; i < L->n; i++)
        if (!strcmp(L->e[i].id, id))
            return err_set(WASL_EINVAL, "prompts.duplicate", "prompt '%s' is given twice", id);
    if (L->n == L->cap) {
        int cap = L->cap ? 2 * L->cap : 128;
        struct entry *e = realloc(L->e, sizeof(*e) * (size_t)cap);
        if (!e)
            return WASL_ENOMEM;
        L->e = e;
        L->cap = cap;
    }
    snprintf(L->e[L->n].id, sizeof(L->e[0].id), "%s", id);
    snprintf(L->e[L->n].text, sizeof(L->e[0].text), "%s", text);
    L->n++;
    return 0;
}

static const char *find(const struct lang *L, const char *id)
{
    for (int i = 0; i < L->n; i++)
        if (!strcmp(L->e[i].id, id))
            return L->e[i].text;
    return NULL;
}

/* "{h} heures {m}" with h=9, m=30 -> "9 heures 30". */
static void fill(const char *tmpl, const char *const keys[], const char *const vals[], int n, char *out, size_t size)
{
    size_t k = 0;
    for (const char *p = tmpl; *p && k + 1 < size;) {
        bool done = false;
        for (int i = 0; i < n && !done; i++) {
            size_t kl = strlen(keys[i]);
            if (!strncmp(p, keys[i], kl)) {
                k += (size_t)snprintf(out + k, size - k, "%s", vals[i]);
                if (k >= size)
                    k = size - 1;
                p += kl;
                done = true;
            }
        }
        if (!done)
            out[k++] = *p++;
    }
    out[k] = '\0';
    /* trim */
    while (k && out[k - 1] == ' ')
        out[--k] = '\0';
    size_t s = 0;
    while (out[s] == ' ')
        s++;
    memmove(out, out + s, k - s + 1);
}

static const char chars[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Deadlines are at most a few years away: the years spoken as words. */
#define YEAR_FIRST 2020
#define YEAR_LAST 2040

/* The values spoken with the language's own words become prompts too. */
static int derive(struct lang *L)
{
    char id[IVR_NAME_MAX], text[TEXT_MAX], a[16], b[16];
    int err = 0;
    for (int n = 0; n < 100 && !err; n++) {
        snprintf(id, sizeof(id), "num_%d", n);
        snprintf(text, sizeof(text), "%d", n);
        err = add(L, id, text);
    }
    for (int h = 0; h < 24 && !err; h++) {
        const char *keys[] = {"{h}", "{m}"};
        snprintf(a, sizeof(a), "%d", h);
        const char *v0[] = {a, "00"};
        fill(L->time_whole, keys, v0, 2, text, sizeof(text));
        snprintf(id, sizeof(id), "time_%02d_00", h);
        if ((err = add(L, id, text)))
            break;
        const char *v30[] = {a, "30"};
        fill(L->time, keys, v30, 2, text, sizeof(text));
        snprintf(id, sizeof(id), "time_%02d_30", h);
        err = add(L, id, text);
    }
    for (int m = 0; m < 12 && !err; m++) {
        const char *keys[] = {"{day}", "{month}"};
        const char *vals[] = {"", L->months[m]};
        fill(L->date, keys, vals, 2, text, sizeof(text));
        snprintf(id, sizeof(id), "month_%d", m + 1);
        err = add(L, id, text);
    }
    /* Years, said as the language says them; outside this range digit by digit. */
    for (int y = YEAR_FIRST; y <= YEAR_LAST && !err; y++) {
        snprintf(id, sizeof(id), "year_%d", y);
        snprintf(text, sizeof(text), "%d", y);
        err = add(L, id, text);
    }
    for (const char *c = chars; *c && !err; c++) {
        snprintf(id, sizeof(id), "chr_%c", *c);
        snprintf(text, sizeof(text), "%c", *c);
        err = add(L, id, text);
    }
    (void)b;
    return err;
}

static int parse_lang(const char *path, struct lang *L)
{
    FILE *f = fopen(path, "r");
    char line[TEXT_MAX + 128];
    int lineno = 0, err = 0;

    if (!f)
        return err_set(WASL_ENOENT, "prompts.missing", "cannot open %s", path);
    memset(L, 0, sizeof(*L));
    L->speed = 150;
    while (!err && fgets(line, sizeof(line), f)) {
        char *eq, *k, *v, *end;
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) { /* cut by the buffer: said, never read in two */
            err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: the line is longer than %d bytes", path, lineno,
                          (int)sizeof(line) - 2);
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (!(eq = strchr(line, '='))) {
            err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: expected id = text", path, lineno);
            break;
        }
        *eq = '\0';
        k = line;
        v = eq + 1;
        while (*k == ' ')
            k++;
        for (end = eq - 1; end >= k && *end == ' '; end--)
            *end = '\0';
        while (*v == ' ')
            v++;
        if (!*v || strlen(v) >= TEXT_MAX || !utf8_valid(v, strlen(v))) {
            err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: the text is %s", path, lineno,
                          !*v                     ? "empty"
                          : strlen(v) >= TEXT_MAX ? "longer than 1023 bytes"
                                                  : "not UTF-8");
            break;
        }
        if (k[0] == '@') {
            k++;
            if (!strcmp(k, "voice"))
                snprintf(L->voice, sizeof(L->voice), "%s", v);
            else if (!strcmp(k, "speed"))
                L->speed = atoi(v);
            else if (!strcmp(k, "date"))
                snprintf(L->date, sizeof(L->date), "%s", v);
            else if (!strcmp(k, "time"))
                snprintf(L->time, sizeof(L->time), "%s", v);
            else if (!strcmp(k, "time_whole"))
                snprintf(L->time_whole, sizeof(L->time_whole), "%s", v);
            else if (!strcmp(k, "months")) {
                int m = 0;
                for (char *t = strtok(v, ","); t && m < 12; t = strtok(NULL, ","), m++) {
                    while (*t == ' ')
                        t++;
                    snprintf(L->months[m], sizeof(L->months[0]), "%s", t);
                }
                if (m != 12)
                    err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: @months needs twelve names", path, lineno);
            } else
                err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: unknown setting @%s", path, lineno, k);
            continue;
        }
        for (const char *p = k; *p && !err; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: a prompt id is a-z, 0-9 and _", path, lineno);
        if (!err && (!*k || strlen(k) >= IVR_NAME_MAX))
            err = err_set(WASL_EINVAL, "prompts.invalid", "%s:%d: a prompt id is 1 to 39 characters", path, lineno);
        if (!err && (err = add(L, k, v)) == WASL_EINVAL)
            err = err_set(WASL_EINVAL, "prompts.duplicate", "%s:%d: prompt '%s' is given twice", path, lineno, k);
    }
    fclose(f);
    if (!err && (!L->voice[0] || !L->date[0] || !L->time[0] || !L->time_whole[0] || !L->months[11][0] ||
                 !strstr(L->date, "{day}") || !strstr(L->date, "{month}")))
        err = err_set(WASL_EINVAL, "prompts.invalid",
                      "%s: @voice, @date ({day}, {month}), @time, @time_whole and @months are needed", path);
    if (!err)
        err = derive(L);
    return err;
}

void prompts_unload(void)
{
    for (int i = 0; i < WASL_LANG_MAX; i++) {
        free(langs[i].e);
        memset(&langs[i], 0, sizeof(langs[i]));
    }
}

int prompts_load(const char *data_dir)
{
    char path[1200];
    int err = 0;
    prompts_unload();
    for (int i = 0; i < wasl_nlanguages && !err; i++) {
        snprintf(path, sizeof(path), "%s/prompts/%s.txt", data_dir, wasl_languages[i]);
        err = parse_lang(path, &langs[i]);
    }
    /* Every language has every prompt (lang_xx only in xx): a missing
     * translation is an error at start, not silence on the phone. */
    for (int i = 0; i < wasl_nlanguages && !err; i++)
        for (int k = 0; k < langs[i].n && !err; k++) {
            const char *id = langs[i].e[k].id;
            if (!strncmp(id, "lang_", 5))
                continue;
            for (int j = 0; j < wasl_nlanguages && !err; j++)
                if (!find(&langs[j], id))
                    err = err_set(WASL_EINVAL, "prompts.missing_translation", "prompt '%s' is in %s.txt but not in %s.txt", id,
                                  wasl_languages[i], wasl_languages[j]);
        }
    for (int i = 0; i < wasl_nlanguages && !err; i++) {
        char id[16];
        snprintf(id, sizeof(id), "lang_%s", wasl_languages[i]);
        if (!find(&langs[i], id))
            err =
                err_set(WASL_EINVAL, "prompts.missing_translation", "%s.txt has no %s (the language menu)", wasl_languages[i], id);
    }
    for (int k = 0; !err && ivr_system_prompts[k]; k++)
        if (!prompts_known(ivr_system_prompts[k], NULL))
            err = err_set(WASL_EINVAL, "prompts.missing", "the IVR needs prompt '%s'", ivr_system_prompts[k]);
    if (err)
        prompts_unload();
    return err;
}

bool prompts_known(const char *id, void *arg)
{
    (void)arg;
    if (!strncmp(id, "lang_", 5)) {
        int li = lang_index(id + 5);
        return li >= 0 && find(&langs[li], id);
    }
    for (int i = 0; i < wasl_nlanguages; i++)
        if (!find(&langs[i], id))
            return false;
    return true;
}

const char *prompt_text(const char *lang, const char *id)
{
    int li = lang_index(lang);
    return li < 0 ? NULL : find(&langs[li], id);
}

/* ---- items to sounds ---- */

static void push(char out[][IVR_NAME_MAX], int *n, int max, const char *id)
{
    if (*n < max)
        snprintf(out[(*n)++], IVR_NAME_MAX, "%s", id);
}

static void say_number(int v, char out[][IVR_NAME_MAX], int *n, int max)
{
    char id[IVR_NAME_MAX];
    if (v >= 0 && v < 100) {
        snprintf(id, sizeof(id), "num_%d", v);
        push(out, n, max, id);
        return;
    }
    /* Larger numbers digit by digit (references, years are not spoken). */
    char digits[24];
    snprintf(digits, sizeof(digits), "%d", v < 0 ? -v : v);
    for (const char *d = digits; *d; d++) {
        snprintf(id, sizeof(id), "num_%c", *d);
        push(out, n, max, id);
    }
}

int prompts_render(const struct ivr_item *it, const char *caller_lang, char lang_out[WASL_LANG_CODE_MAX], char out[][IVR_NAME_MAX],
                   int max)
{
    int n = 0, li = lang_index(it->lang[0] ? it->lang : caller_lang);
    char id[IVR_NAME_MAX];
    if (li < 0)
        li = 1;
    snprintf(lang_out, 3, "%s", wasl_languages[li]);
    switch (it->kind) {
    case IVR_ITEM_PROMPT:
        push(out, &n, max, it->prompt);
        break;
    case IVR_ITEM_NUMBER:
        say_number(it->a, out, &n, max);
        break;
    case IVR_ITEM_DIGIT: {
        char c = (char)it->c;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c && strchr(chars, c)) {
            snprintf(id, sizeof(id), "chr_%c", c);
            push(out, &n, max, id);
        }
        break;
    }
    case IVR_ITEM_TIME:
        if (it->b == 0 || it->b == 30) {
            snprintf(id, sizeof(id), "time_%02d_%02d", it->a % 24, it->b);
            push(out, &n, max, id);
        } else {
            snprintf(id, sizeof(id), "time_%02d_00", it->a % 24);
            push(out, &n, max, id);
            say_number(it->b, out, &n, max);
        }
        break;
    case IVR_ITEM_DATE: {
        /* The month's words carry the language's order: "{day} de {month}", "{month} {day}". */
        bool day_first = strstr(langs[li].date, "{day}") < strstr(langs[li].date, "{month}");
        snprintf(id, sizeof(id), "month_%d", it->b >= 1 && it->b <= 12 ? it->b : 1);
        if (!day_first)
            push(out, &n, max, id);
        say_number(it->c, out, &n, max);
        if (day_first)
            push(out, &n, max, id);
        break;
    }
    case IVR_ITEM_YEAR:
        if (it->a >= YEAR_FIRST && it->a <= YEAR_LAST) {
            snprintf(id, sizeof(id), "year_%d", it->a);
            push(out, &n, max, id);
        } else {
            say_number(it->a, out, &n, max);
        }
        break;
    case IVR_ITEM_DURATION: {
        /* Whole minutes in the plural forms every language file gives
         * (Arabic's grammar needs them all: a dual for 2, a plural for 3 to
         * 10, the singular from 11; the others repeat their plural). */
        int m = it->a < 60 ? 0 : (it->a + 30) / 60;
        if (m > 99)
            m = 99;
        if (m == 0)
            push(out, &n, max, "dur_lt1");
        else if (m == 1)
            push(out, &n, max, "dur_1");
        else if (m == 2)
            push(out, &n, max, "minutes_dual");
        else {
            say_number(m, out, &n, max);
            push(out, &n, max, m <= 10 ? "minutes_few" : "minutes_many");
        }
        break;
    }
    case IVR_ITEM_SILENCE:
        break;
    }
    return n;
}

/* ---- generation ---- */

static int run(char *const argv[])
{
    pid_t pid = fork();
    int st;
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", 1);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool same_file_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char buf[TEXT_MAX + 64];
    size_t n;
    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return !strcmp(buf, text);
}

/* Speaks text with voice into wav (8 kHz mono 16-bit), unless wav was made
 * from the same voice, speed and text (its stamp file says so). */
static int speak(const struct lang *L, const char *text, const char *wav, const char *what, int *made, int *kept)
{
    char raw[1300], stamp[1300], key[TEXT_MAX + 64], speed[16];
    size_t wl = strlen(wav);
    snprintf(stamp, sizeof(stamp), "%.*s.txt", (int)(wl > 4 ? wl - 4 : wl), wav);
    snprintf(raw, sizeof(raw), "%.*s.raw.wav", (int)(wl > 4 ? wl - 4 : wl), wav);
    snprintf(key, sizeof(key), "%s|%d|%s", L->voice, L->speed, text);
    snprintf(speed, sizeof(speed), "%d", L->speed);
    if (access(wav, R_OK) == 0 && same_file_text(stamp, key)) {
        (*kept)++;
        return 0;
    }
    char *espeak[] = {"espeak-ng", "-v", (char *)L->voice, "-s", speed, "-w", raw, (char *)text, NULL};
    char *sox[] = {"sox", raw, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", (char *)wav, NULL};
    if (run(espeak) != 0 || run(sox) != 0) {
        unlink(raw);
        return err_set(WASL_EIO, "prompts.generate", "espeak-ng or sox failed on %s (are they installed?)", what);
    }
    unlink(raw);
    FILE *f = fopen(stamp, "w");
    if (!f || fputs(key, f) < 0 || fclose(f))
        return err_set(WASL_EIO, "prompts.io", "cannot write %s", stamp);
    (*made)++;
    return 0;
}

int prompts_generate_practice(const char *out_dir, int *made, int *kept)
{
    char dir[1100], sub[1200], wav[1400], what[120];
    const struct practice_script *s;
    int n = practice_scripts(&s), err;
    snprintf(dir, sizeof(dir), "%s/practice", out_dir);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return err_set(WASL_EIO, "prompts.io", "cannot create %s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        int li = lang_index(s[i].language);
        if (li < 0 || !langs[li].voice[0])
            return err_set(WASL_EINVAL, "prompts.missing", "script %s: no voice for %s", s[i].id, s[i].language);
        snprintf(sub, sizeof(sub), "%s/%s", dir, s[i].id);
        if (mkdir(sub, 0755) && errno != EEXIST)
            return err_set(WASL_EIO, "prompts.io", "cannot create %s: %s", sub, strerror(errno));
        for (int k = 0; k < s[i].nlines; k++) {
            practice_line_wav(out_dir, s[i].id, k, wav, sizeof(wav));
            snprintf(what, sizeof(what), "practice script %s line %d", s[i].id, k + 1);
            if ((err = speak(&langs[li], s[i].lines[k], wav, what, made, kept)))
                return err;
        }
    }
    return 0;
}

int prompts_generate(const char *out_dir, int *made, int *kept)
{
    char dir[1100], wav[1200], what[120];
    int err;
    *made = *kept = 0;
    if (mkdir(out_dir, 0755) && errno != EEXIST)
        return err_set(WASL_EIO, "prompts.io", "cannot create %s: %s", out_dir, strerror(errno));
    for (int i = 0; i < wasl_nlanguages; i++) {
        struct lang *L = &langs[i];
        snprintf(dir, sizeof(dir), "%s/%s", out_dir, wasl_languages[i]);
        if (mkdir(dir, 0755) && errno != EEXIST)
            return err_set(WASL_EIO, "prompts.io", "cannot create %s: %s", dir, strerror(errno));
        for (int k = 0; k < L->n; k++) {
            snprintf(wav, sizeof(wav), "%s/%s.wav", dir, L->e[k].id);
            snprintf(what, sizeof(what), "%s/%s", wasl_languages[i], L->e[k].id);
            if ((err = speak(L, L->e[k].text, wav, what, made, kept)))
                return err;
        }
    }
    /* Music on hold: a soft chord with a slow tremolo, made by sox too (a
     * real recording can replace it: data/prompts/moh.wav is not read, put
     * it at out_dir/moh.wav). */
    snprintf(wav, sizeof(wav), "%s/moh.wav", out_dir);
    if (access(wav, R_OK) != 0) {
        char *sox[] = {"sox",  "-n",   "-r",  "8000", "-c",  "1",    "-b",  "16",       "-e", "signed-integer", wav,   "synth",
                       "8",    "sine", "262", "sine", "330", "sine", "392", "channels", "1",  "tremolo",        "0.5", "40",
                       "fade", "q",    "0.3", "8",    "0.3", "vol",  "0.3", NULL};
        if (run(sox) != 0)
            return err_set(WASL_EIO, "prompts.generate", "sox failed making the music on hold");
        (*made)++;
    } else {
        (*kept)++;
    }
    return 0;
}

int prompts_count(const char *lang)
{
    int li = lang_index(lang);
    return li < 0 ? 0 : langs[li].n;
}

const char *prompts_id_at(const char *lang, int k)
{
    int li = lang_index(lang);
    return li < 0 || k < 0 || k >= langs[li].n ? NULL : langs[li].e[k].id;
}
