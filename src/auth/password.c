/*
 * Passwords: Argon2id hashes (libsodium's self-describing string form, so
 * cost settings can rise later without breaking old hashes), the password
 * policy, and random passwords for new accounts.
 */
#include <string.h>
#include <sodium.h>

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

int auth_password_policy(const char *login, const char *password)
{
    size_t n = strlen(password);
    int classes = 0;
    bool lower = false, upper = false, digit = false, other = false;

    if (!utf8_valid(password, n))
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password is not valid UTF-8");
    if (n > PASSWORD_MAX)
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password is longer than %d bytes", PASSWORD_MAX);
    if (utf8_len(password) < (size_t)auth_cfg.min_password)
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password needs at least %d characters",
                             auth_cfg.min_password);
    if (login && strcasecmp(login, password) == 0)
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password", "the password must not be the login");
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            lower = true;
        else if (*p >= 'A' && *p <= 'Z')
            upper = true;
        else if (*p >= '0' && *p <= '9')
            digit = true;
        else
            other = true;
    }
    classes = lower + upper + digit + other;
    /* Long passphrases need no mix; short ones need two kinds of character. */
    if (classes < 2 && utf8_len(password) < 16)
        return err_set_field(WASL_EINVAL, "auth.weak_password", "password",
                             "use at least two kinds of characters (letters, digits, symbols) or 16 characters or more");
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
