/*
 * Passwords: Argon2id hashes (libsodium's self-describing string form, so
 * cost settings can rise later without breaking old hashes), the password
 * policy (a minimum length, not the login or the name, and zxcvbn's estimate
 * against its lists of common and leaked passwords, with the login and name
 * as the first guesses; never the current password again), and random
 * passwords for new accounts.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <sodium.h>
#include <zxcvbn.h>

#include "auth_int.h"

int auth_hash_password(const char *password, char *out, size_t n)
{
    if (n < crypto_pwhash_STRBYTES)
        return WASL_EINTERNAL;
    if (crypto_pwhash_str_alg(out, password, strlen(password), auth_cfg.opslimit, auth_cfg.memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return err_set(WASL_ENOMEM, "auth.hash_failed", "not enough memory to hash the password");
    return 0;
}

bool auth_verify_password(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* Lower-case ASCII letters of s, the rest dropped ("Ahmed-Saïd 2" ->
 * "ahmedsad"): how a password echoes a login or a name, give or take case,
 * digits and punctuation. */
static void letters(const char *s, size_t len, char *out, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < len && s[i] && k + 1 < n; i++)
        if (isalpha((unsigned char)s[i]) && !((unsigned char)s[i] & 0x80))
            out[k++] = (char)tolower((unsigned char)s[i]);
    out[k] = '\0';
}

/* pw is w, w backwards, or w again and again. */
static bool made_of(const char *pw, const char *w)
{
    size_t n = strlen(pw), l = strlen(w);
    bool back = n == l;
    if (!l || n % l)
        return false;
    for (size_t i = 0; i < n && back; i++)
        back = pw[i] == w[l - 1 - i];
    for (size_t i = 0; i < n; i += l)
        if (memcmp(pw + i, w, l))
            return back;
    return true;
}

/* True when the password, reduced to its letters, is the login, the whole
 * name, or one of its words (of 3 letters or more), forwards, backwards or
 * repeated: "Admin2026!", "nimda12345", "Fatima.1990", "Blanc-Blanc-1". */
static bool echoes(const char *pw_letters, const char *login, const char *name)
{
    char w[USER_LOGIN_MAX * 4 + 1];
    if (!pw_letters[0])
        return false;
    letters(login ? login : "", SIZE_MAX, w, sizeof(w));
    if (made_of(pw_letters, w))
        return true;
    letters(name ? name : "", SIZE_MAX, w, sizeof(w));
    if (made_of(pw_letters, w))
        return true;
    for (const char *p = name ? name : ""; *p; p += strspn(p, " -.'")) {
        size_t l = strcspn(p, " -.'");
        letters(p, l, w, sizeof(w));
        if (strlen(w) >= 3 && made_of(pw_letters, w))
            return true;
        p += l;
    }
    return false;
}

/* Why zxcvbn found the password guessable: the kind of its longest match
 * that is not brute force. */
static int guessable(const ZxcMatch_t *info)
{
    int best = 0, kind = BRUTE_MATCH;
    for (const ZxcMatch_t *m = info; m; m = m->Next)
        if ((m->Type & ~MULTIPLE_MATCH) != BRUTE_MATCH && m->Length > best) {
            best = m->Length;
            /* A part repeated ("aaaa", "abcabc") is a repetition, whatever the part. */
            kind = m->Type & MULTIPLE_MATCH ? REPEATS_MATCH : m->Type;
        }
    switch (kind) {
    case DICTIONARY_MATCH:
    case DICT_LEET_MATCH:
        return err_set_field(WASL_EINVAL, "auth.password_common", "password",
                             "this password is among the most common or leaked ones, or made of them");
    case USER_MATCH:
    case USER_LEET_MATCH:
        return err_set_field(WASL_EINVAL, "auth.password_personal", "password", "this password is made of the login or the name");
    case REPEATS_MATCH:
    case SEQUENCE_MATCH:
    case SPATIAL_MATCH:
    case DATE_MATCH:
    case YEAR_MATCH:
        return err_set_field(WASL_EINVAL, "auth.password_pattern", "password",
                             "this password is a repetition, a sequence, a keyboard row or a date");
    default:
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "this password is too easy to guess");
    }
}

/* Bytes of a password that zxcvbn judges: its cost grows fast with length. */
#define ZXCVBN_MAX 100

int auth_password_policy(const char *login, const char *name, const char *password, const char *current_hash)
{
    size_t n = strlen(password);
    char pw[PASSWORD_MAX + 1], cut[ZXCVBN_MAX + 1];
    char name_words[8][USER_LOGIN_MAX * 4 + 1];
    const char *dict[12];
    int nd = 0, nw = 0;

    if (!utf8_valid(password, n))
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password is not valid UTF-8");
    if (n > PASSWORD_MAX)
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password is longer than %d bytes", PASSWORD_MAX);
    if (utf8_len(password) < (size_t)auth_cfg.min_password)
        return err_set_field(WASL_EINVAL, "auth.password_short", "password", "the password needs at least %d characters",
                             auth_cfg.min_password);
    letters(password, n, pw, sizeof(pw));
    if (echoes(pw, login, name))
        return err_set_field(WASL_EINVAL, "auth.password_personal", "password", "the password must not be the login or the name");
    /* zxcvbn's estimate (its dictionaries hold the most common and leaked
     * passwords, names and words), with the login and the name's words as
     * the cheapest guesses. Past ZXCVBN_MAX bytes a password is long enough
     * that only its start need be judged (cut at a character boundary). */
    if (login && *login)
        dict[nd++] = login;
    if (name && *name)
        dict[nd++] = name;
    for (const char *p = name ? name : ""; *p && nw < 8; p += strspn(p, " -.'")) {
        size_t l = strcspn(p, " -.'");
        if (l >= 3 && l < sizeof(name_words[0])) {
            memcpy(name_words[nw], p, l);
            name_words[nw][l] = '\0';
            dict[nd++] = name_words[nw++];
        }
        p += l;
    }
    dict[nd] = NULL;
    size_t k = n < ZXCVBN_MAX ? n : ZXCVBN_MAX;
    while (k < n && k > 0 && ((unsigned char)password[k] & 0xC0) == 0x80)
        k--;
    memcpy(cut, password, k);
    cut[k] = '\0';
    ZxcMatch_t *info = NULL;
    double bits = ZxcvbnMatch(cut, dict, &info);
    /* zxcvbn's entropy is log2 of the guesses it would take. */
    int err = bits * 0.30103 < auth_cfg.min_password_strength ? guessable(info) : 0;
    ZxcvbnFreeInfo(info);
    if (err)
        return err;
    /* Last, being slow: the same password again is no change. */
    if (current_hash && *current_hash && auth_verify_password(current_hash, password))
        return err_set_field(WASL_EINVAL, "auth.password_reused", "password", "the new password must differ from the current one");
    return 0;
}

int auth_password_min_length(void)
{
    return auth_cfg.min_password;
}

void auth_random_password(char *out, size_t n)
{
    /* No look-alikes (0/O, 1/l/I) so it can be read out and typed. */
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t len = n - 1 < 20 ? n - 1 : 20;

    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    /* Groups of five, as "abcde-fghij-...", easier to copy by hand. */
    if (len == 20 && n > 24) {
        char tmp[24];
        memcpy(tmp, out, 20);
        for (size_t i = 0, k = 0; i < 20; i++) {
            if (i && i % 5 == 0)
                out[k++] = '-';
            out[k++] = tmp[i];
        }
        out[23] = '\0';
        return;
    }
    out[len] = '\0';
}
