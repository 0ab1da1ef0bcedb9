/*
 * auth settings, roles and languages.
 */
#include <string.h>
#include <sodium.h>

#include "auth_int.h"

/* clang-format off */
const struct conf_def auth_conf[] = {
    {"auth.session_idle", CONF_DURATION, "30m", 2, 86400, "a session ends after this long without a request"},
    {"auth.session_absolute", CONF_DURATION, "12h", 2, 7 * 86400, "a session ends this long after login, busy or not"},
    {"auth.failure_window", CONF_DURATION, "15m", 1, 86400, "failed logins are counted over this window"},
    {"auth.lockout", CONF_DURATION, "15m", 1, 86400,
     "how long an address stays locked out of an account (or out of every account) after too many failures"},
    {"auth.max_failures_account", CONF_INT, "5", 1, 1000,
     "failed logins on one account from one address before that address is locked out of it; past as many from "
     "all addresses, the account is slowed down (never locked)"},
    {"auth.max_failures_address", CONF_INT, "20", 1, 100000, "failed logins from one address before it is locked"},
    {"auth.max_delay", CONF_DURATION, "30s", 1, 3600,
     "the longest wait between logins of an account under attack (1 s, 2 s, 4 s ... up to this)"},
    {"auth.min_password_length", CONF_INT, "10", 8, 128, "shortest password accepted"},
    {"auth.min_password_strength", CONF_INT, "8", 0, 30,
     "weakest password accepted: at least 10^N guesses as zxcvbn estimates them (8: its \"safely unguessable\" score 3)"},
    {"auth.password_hash", CONF_STR, "interactive", 0, 0,
     "Argon2id cost: interactive (64 MiB), moderate (256 MiB) or sensitive (1 GiB)"},
};
/* clang-format on */
const size_t auth_conf_count = sizeof(auth_conf) / sizeof(auth_conf[0]);

struct auth_settings auth_cfg = {
    .session_idle = 1800 * WTIME_SEC,
    .session_absolute = 12 * 3600 * WTIME_SEC,
    .failure_window = 900 * WTIME_SEC,
    .lockout = 900 * WTIME_SEC,
    .max_delay = 30 * WTIME_SEC,
    .max_failures_account = 5,
    .max_failures_address = 20,
    .min_password = 10,
    .min_password_strength = 8,
    .opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE,
    .memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE,
};

int auth_init(void)
{
    const char *cost = conf_str("auth.password_hash");

    auth_cfg.session_idle = conf_int("auth.session_idle") * WTIME_SEC;
    auth_cfg.session_absolute = conf_int("auth.session_absolute") * WTIME_SEC;
    auth_cfg.failure_window = conf_int("auth.failure_window") * WTIME_SEC;
    auth_cfg.lockout = conf_int("auth.lockout") * WTIME_SEC;
    auth_cfg.max_delay = conf_int("auth.max_delay") * WTIME_SEC;
    auth_cfg.max_failures_account = (int)conf_int("auth.max_failures_account");
    auth_cfg.max_failures_address = (int)conf_int("auth.max_failures_address");
    auth_cfg.min_password = (int)conf_int("auth.min_password_length");
    auth_cfg.min_password_strength = (int)conf_int("auth.min_password_strength");
    if (strcmp(cost, "interactive") == 0) {
        auth_cfg.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        auth_cfg.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    } else if (strcmp(cost, "moderate") == 0) {
        auth_cfg.opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
        auth_cfg.memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
    } else if (strcmp(cost, "sensitive") == 0) {
        auth_cfg.opslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
        auth_cfg.memlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;
    } else {
        return err_set(WASL_EINVAL, "config.invalid", "auth.password_hash must be interactive, moderate or sensitive");
    }
    return 0;
}

static const struct {
    int role;
    const char *name;
} roles[] = {
    {ROLE_AGENT, "agent"},           {ROLE_SUPERVISOR, "supervisor"}, {ROLE_EDITOR, "editor"},
    {ROLE_BACKOFFICE, "backoffice"}, {ROLE_ADMIN, "admin"},
};

const char *role_name(int role)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].role == role)
            return roles[i].name;
    return "none";
}

int role_parse(const char *s, int *out)
{
    for (size_t i = 0; s && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcmp(roles[i].name, s) == 0) {
            *out = roles[i].role;
            return 0;
        }
    }
    return err_set_field(WASL_EINVAL, "auth.invalid_role", "role",
                         "role must be one of agent, supervisor, editor, backoffice, admin");
}

void role_mask_names(int mask, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (mask & roles[i].role) {
            int w = snprintf(buf + k, n - k, "%s%s", k ? "," : "", roles[i].name);
            if (w < 0 || (size_t)w >= n - k)
                return;
            k += (size_t)w;
        }
    }
}
