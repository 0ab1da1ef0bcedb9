/*
 * Telephony commands that need no running server:
 *   wasl prompts generate [DIR]   make the prompt WAVs (default build/prompts)
 *   wasl prompts list LANG        every prompt id with its text
 *   wasl ivr check [FILE...]      load and check call flows (default: every flow in data/ivr)
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tel/tel.h"
#include "ivr/ivr.h"
#include "practice/practice.h"

int cmd_prompts(struct cli *c)
{
    const char *sub = c->argc ? c->argv[0] : "";
    int err, made, kept;

    if ((err = cli_load_data()) || (err = prompts_load(cli_data_dir())))
        return cli_fail(err, "prompts");
    if (!strcmp(sub, "generate") && c->argc <= 2) {
        const char *dir = c->argc == 2 ? c->argv[1] : "build/prompts";
        /* the practice scripts' caller lines too (their references to the
         * guide and the case types are checked when the server loads them) */
        if ((err = prompts_generate(dir, &made, &kept)) || (err = practice_load(cli_data_dir(), NULL, false)) ||
            (err = prompts_generate_practice(dir, &made, &kept)))
            return cli_fail(err, "prompts");
        printf("prompts in %s: %d made, %d unchanged\n", dir, made, kept);
        return 0;
    }
    if (!strcmp(sub, "list") && c->argc == 2) {
        int n = prompts_count(c->argv[1]);
        if (!n) {
            fprintf(stderr, "wasl: no language '%s'\n", c->argv[1]);
            return 2;
        }
        for (int k = 0; k < n; k++)
            printf("%-28s %s\n", prompts_id_at(c->argv[1], k), prompt_text(c->argv[1], prompts_id_at(c->argv[1], k)));
        return 0;
    }
    fprintf(stderr, "usage: wasl prompts generate [DIR] | wasl prompts list LANG\n");
    return 2;
}

static int check_one(const char *path)
{
    struct ivr_flow *f;
    int err = ivr_flow_load(path, prompts_known, NULL, &f);
    if (err)
        return cli_fail(err, NULL);
    printf("%s: %d nodes, ok\n", path, ivr_flow_nodes(f));
    ivr_flow_free(f);
    return 0;
}

int cmd_ivr(struct cli *c)
{
    int err, rc = 0;
    if (c->argc < 1 || strcmp(c->argv[0], "check")) {
        fprintf(stderr, "usage: wasl ivr check [FILE...]\n");
        return 2;
    }
    if ((err = cli_load_data()) || (err = prompts_load(cli_data_dir())))
        return cli_fail(err, "prompts");
    if (c->argc > 1) {
        for (int i = 1; i < c->argc; i++)
            rc |= check_one(c->argv[i]);
        return rc;
    }
    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/ivr", cli_data_dir());
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        fprintf(stderr, "wasl: cannot open %s\n", dir);
        return 1;
    }
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        char path[1400];
        if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        rc |= check_one(path);
    }
    closedir(d);
    return rc;
}
