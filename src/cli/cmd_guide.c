/*
 * wasl guide: import and export the consular guide with its whole history,
 * and rebuild the search index.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "guide/guide.h"

int cli_import_guide(struct cli *c)
{
    char dir[4200];
    int n = 0, err;

    snprintf(dir, sizeof(dir), "%s/guide", cli_data_dir());
    if ((err = guide_init(NULL, cli_data_dir())) || (err = guide_import(c->db, cli_who(ROLE_EDITOR), dir, &n)))
        return cli_fail(err, "guide import");
    printf("Consular guide: %d article(s) loaded from %s\n", n, dir);
    return 0;
}

int cmd_guide(struct cli *c)
{
    const char *sub = c->argc ? c->argv[0] : "";
    int n = 0, err;

    if (!((!strcmp(sub, "import") || !strcmp(sub, "export")) && c->argc == 2) && strcmp(sub, "reindex")) {
        fprintf(stderr, "usage: wasl guide import DIR | wasl guide export DIR | wasl guide reindex\n");
        return 2;
    }
    if ((err = cli_load_data()))
        return cli_fail(err, "data");
    if ((err = cli_open_db(c)) || (err = guide_init(NULL, cli_data_dir())))
        return cli_fail(err, "guide");
    if (!strcmp(sub, "import")) {
        if ((err = guide_import(c->db, cli_who(ROLE_EDITOR), c->argv[1], &n)))
            return cli_fail(err, "guide import");
        printf("%d article(s) imported or extended from %s\n", n, c->argv[1]);
    } else if (!strcmp(sub, "export")) {
        if ((err = guide_export(c->db, c->argv[1], &n)))
            return cli_fail(err, "guide export");
        printf("%d article(s) written to %s with their history\n", n, c->argv[1]);
    } else {
        if ((err = guide_index_rebuild(c->db)))
            return cli_fail(err, "guide reindex");
        printf("search index rebuilt\n");
    }
    return 0;
}
