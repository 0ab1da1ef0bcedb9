/*
 * wasl user: account management from the shell, for the first admin and for
 * scripts. Every change is audited with the actor "cli:<operating system account>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "auth/auth.h"

static void user_usage(void)
{
    fprintf(stderr, "usage:\n"
                    "  wasl user add LOGIN --role ROLE [--name NAME] [--consulate CODE] [--language LANG] [--password-stdin]\n"
                    "  wasl user passwd LOGIN [--password-stdin]\n"
                    "  wasl user disable|enable|unlock LOGIN\n"
                    "  wasl user list\n"
                    "Without --password-stdin a random temporary password is printed, to be changed at first login.\n"
                    "Roles: agent, supervisor, editor, backoffice (needs --consulate), admin.\n");
}

/* One line from stdin, without its newline; at most PASSWORD_MAX bytes. */
static int read_password(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin))
        return err_set(WASL_EINVAL, "cli.no_password", "no password on standard input");
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static const char *opt(struct cli *c, const char *name)
{
    for (int i = 2; i + 1 < c->argc; i++)
        if (strcmp(c->argv[i], name) == 0)
            return c->argv[i + 1];
    return NULL;
}

static bool flag(struct cli *c, const char *name)
{
    for (int i = 2; i < c->argc; i++)
        if (strcmp(c->argv[i], name) == 0)
            return true;
    return false;
}

static int user_add(struct cli *c)
{
    char pw[PASSWORD_MAX + 2];
    bool from_stdin = flag(c, "--password-stdin");
    struct user_fields f = {
        .login = c->argv[1],
        .display_name = opt(c, "--name") ? opt(c, "--name") : c->argv[1],
        .role = opt(c, "--role"),
        .consulate = opt(c, "--consulate"),
        .language = opt(c, "--language"),
        .password = pw,
        .must_change_password = !from_stdin,
    };
    int err;

    if (!f.role) {
        user_usage();
        return 2;
    }
    if (from_stdin) {
        if ((err = read_password(pw, sizeof(pw))))
            return cli_fail(err, NULL);
    } else {
        auth_random_password(pw, sizeof(pw));
    }
    if ((err = user_create(c->db, cli_who(ROLE_ADMIN), &f, NULL)))
        return cli_fail(err, "user add");
    printf("created %s (%s)\n", f.login, f.role);
    if (!from_stdin)
        printf("temporary password (shown only now): %s\n", pw);
    return 0;
}

static int user_passwd(struct cli *c, struct user *u)
{
    char pw[PASSWORD_MAX + 2];
    bool from_stdin = flag(c, "--password-stdin");
    int err;

    if (from_stdin) {
        if ((err = read_password(pw, sizeof(pw))))
            return cli_fail(err, NULL);
    } else {
        auth_random_password(pw, sizeof(pw));
    }
    if ((err = user_set_password(c->db, cli_who(ROLE_ADMIN), u->id, pw, !from_stdin, NULL)))
        return cli_fail(err, "user passwd");
    if (!from_stdin)
        printf("temporary password for %s (shown only now): %s\n", u->login, pw);
    else
        printf("password of %s changed\n", u->login);
    return 0;
}

static int user_list_cmd(struct cli *c)
{
    struct user *u = malloc(sizeof(*u) * 10000);
    int n, err;

    if (!u)
        return cli_fail(WASL_ENOMEM, NULL);
    if ((err = user_list(c->db, u, 10000, &n))) {
        free(u);
        return cli_fail(err, "user list");
    }
    printf("%-20s %-11s %-8s %-9s %s\n", "LOGIN", "ROLE", "CONSUL.", "STATE", "NAME");
    for (int i = 0; i < n; i++)
        printf("%-20s %-11s %-8s %-9s %s\n", u[i].login, role_name(u[i].role), u[i].consulate[0] ? u[i].consulate : "-",
               u[i].disabled ? "disabled"
               : u[i].locked ? "locked"
                             : "active",
               u[i].display_name);
    free(u);
    return 0;
}

int cmd_user(struct cli *c)
{
    struct user u;
    const char *sub = c->argc > 0 ? c->argv[0] : "";
    int err;

    if (strcmp(sub, "list") == 0 || strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0 || strcmp(sub, "disable") == 0 ||
        strcmp(sub, "enable") == 0 || strcmp(sub, "unlock") == 0) {
        if (strcmp(sub, "list") != 0 && c->argc < 2) {
            user_usage();
            return 2;
        }
    } else {
        user_usage();
        return strcmp(sub, "help") == 0 ? 0 : 2;
    }
    if ((err = cli_load_data()))
        return cli_fail(err, "data");
    if ((err = cli_open_db(c)))
        return cli_fail(err, "store");
    if (strcmp(sub, "list") == 0)
        return user_list_cmd(c);
    if (strcmp(sub, "add") == 0)
        return user_add(c);
    if ((err = user_get_by_login(c->db, c->argv[1], &u)))
        return cli_fail(err, NULL);
    if (strcmp(sub, "passwd") == 0)
        return user_passwd(c, &u);
    if (strcmp(sub, "unlock") == 0) {
        if ((err = user_unlock(c->db, cli_who(ROLE_ADMIN), u.id)))
            return cli_fail(err, "user unlock");
        printf("%s unlocked\n", u.login);
        return 0;
    }
    struct user_change ch = {.disabled = strcmp(sub, "disable") == 0};
    if ((err = user_update(c->db, cli_who(ROLE_ADMIN), u.id, &ch)))
        return cli_fail(err, sub);
    printf("%s %sd\n", u.login, sub);
    return 0;
}
