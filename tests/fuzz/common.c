/*
 * The fuzz targets' shared setup (common.h). Compiled into build/fuzz/libwasl.a
 * with the sources, so each target links only its own file.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "common.h"

const char *fuzz_data_dir(void)
{
    static char dir[PATH_MAX];
    static const char *vars[] = {"WASL_PATHS_DATA", "WASL_TEST_DATA"};

    if (dir[0])
        return dir;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            if (access(v, R_OK) != 0) {
                fprintf(stderr, "fuzz: %s=%s is not a readable folder\n", vars[i], v);
                abort();
            }
            snprintf(dir, sizeof(dir), "%s", v);
            return dir;
        }
    }
    if (path_near_exe("data", dir, sizeof(dir))) {
        fprintf(stderr, "fuzz: no data/ folder: set WASL_PATHS_DATA, or run the target from build/fuzz/ (%s)\n", err_message());
        abort();
    }
    return dir;
}

const char *fuzz_data_path(const char *rel)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", fuzz_data_dir(), rel);
    return path;
}

void fuzz_setup_failed(const char *what)
{
    fprintf(stderr, "fuzz: setup failed: %s: %s\n", what, err_message());
    abort();
}
