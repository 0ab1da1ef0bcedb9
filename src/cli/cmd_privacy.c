/*
 * Personal data from the command line, for the data-protection officer:
 *   wasl privacy export --phone N | --email A   everything held, as JSON
 *   wasl privacy erase  --phone N | --email A   erase it (cases stay as statistics)
 *   wasl privacy purge                          apply the retention periods now
 *   wasl keys rotate                            new key; re-encrypt everything
 * Each is written to the audit trail under "cli:<operating system account>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cases/cases.h"

static int open_cases(struct cli *c, bool create_key)
{
    int err;
    if ((err = cli_load_data()) || (err = cli_open_db(c)) || (err = cases_init(cli_data_dir(), create_key)))
        return err;
    return 0;
}

static int subject_args(struct cli *c, const char **phone, const char **email)
{
    *phone = *email = NULL;
    if (c->argc != 3)
        return -1;
    if (!strcmp(c->argv[1], "--phone"))
        *phone = c->argv[2];
    else if (!strcmp(c->argv[1], "--email"))
        *email = c->argv[2];
    else
        return -1;
    return 0;
}

int cmd_privacy(struct cli *c)
{
    const char *sub = c->argc ? c->argv[0] : "", *phone, *email;
    const struct actor *who = cli_who(ROLE_ADMIN);
    int err, n = 0;

    if (!strcmp(sub, "purge") && c->argc == 1) {
        if ((err = open_cases(c, false)) || (err = privacy_purge(c->db, clock_now(), &n)))
            return cli_fail(err, "privacy purge");
        printf("%d case(s) past their retention period anonymized\n", n);
        return 0;
    }
    if ((strcmp(sub, "export") && strcmp(sub, "erase")) || subject_args(c, &phone, &email)) {
        fprintf(stderr, "usage: wasl privacy export|erase --phone NUMBER | --email ADDRESS\n"
                        "       wasl privacy purge\n"
                        "(numbers with their country code: +33612345678)\n");
        return 2;
    }
    if ((err = open_cases(c, false)))
        return cli_fail(err, "privacy");
    if (!strcmp(sub, "export")) {
        char *json = NULL;
        if ((err = privacy_export(c->db, who, phone, email, &json)))
            return cli_fail(err, "privacy export");
        printf("%s\n", json);
        free(json);
        return 0;
    }
    if ((err = privacy_erase(c->db, who, phone, email, &n)))
        return cli_fail(err, "privacy erase");
    printf("personal data erased from %d case(s); they remain as anonymous statistics\n", n);
    return 0;
}

int cmd_keys(struct cli *c)
{
    const struct actor *who = cli_who(ROLE_ADMIN);
    int err, rows = 0;

    if (c->argc != 1 || strcmp(c->argv[0], "rotate")) {
        fprintf(stderr, "usage: wasl keys rotate   (stop wasl serve first; see docs/operations.md)\n");
        return 2;
    }
    if ((err = open_cases(c, false)) || (err = privacy_rotate_key(c->db, who, &rows)))
        return cli_fail(err, "keys rotate");
    printf("new key in use; %d value(s) re-encrypted and blind indexes recomputed.\n"
           "Copy the key file %s to its safe place again; the old keys in it may be removed once no backup needs them.\n",
           rows, conf_str("cases.key_file"));
    return 0;
}
