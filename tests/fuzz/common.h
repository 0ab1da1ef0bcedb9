/*
 * What the fuzz targets share: finding the data/ folder wherever the target
 * runs from (tests/run.py, a fuzzing farm, a copied binary).
 */
#ifndef WASL_FUZZ_COMMON_H
#define WASL_FUZZ_COMMON_H

/* The data/ folder: $WASL_PATHS_DATA (the server's own setting), else
 * $WASL_TEST_DATA (the unit tests'), else data/ near the executable
 * (build/fuzz/x finds ../../data). Never returns when there is none: it
 * prints where it looked and aborts, since a target without its data would
 * only report crashes that are not bugs. */
const char *fuzz_data_dir(void);

/* fuzz_data_dir()/rel, in a static buffer (one at a time). */
const char *fuzz_data_path(const char *rel);

/* Aborts after printing why a target's setup failed. */
void fuzz_setup_failed(const char *what);

#endif
