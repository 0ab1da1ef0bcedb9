/*
 * What the figures of src/stats share inside the module: the calls the
 * agents recorded at the desk, each with its first-contact fate
 * (contacts.c), for the procedures' ranking too.
 */
#ifndef WASL_STATS_INT_H
#define WASL_STATS_INT_H

#include "stats.h"

enum stats_fcr { FCR_RESOLVED, FCR_REPEATED, FCR_PENDING, FCR_UNKNOWN, FCR_LEFT_OUT };

struct stats_contact {
    int64_t call; /* the telephony's call number; 0: a call taken outside it */
    int64_t agent, at;
    char reference[24]; /* the case opened or followed up, "" none */
    char category[48];  /* that case's category */
    char phone[72];     /* the caller's number's blind index, "" unknown */
    char links[10][64]; /* the guide articles consulted (slugs) */
    int nlinks;
    bool left_out; /* wrong number, silent call */
    enum stats_fcr fate;
};

/* The calls recorded in [from, to) with their fate against the calls of the
 * window after them; *out the caller's to free(). */
int stats_contacts_load(struct db *db, int64_t from, int64_t to, int64_t now, int window_days, struct stats_contact **out, int *n);

/* Makes room for element n of *array (elements of size bytes, *cap held):
 * doubles it when full; WASL_ELIMIT past max elements, WASL_ENOMEM. *array
 * is left as it was on error. */
int stats_grow(void *array, int *cap, int n, size_t size, int max);

/* Slugs of a list of linked articles ([{"slug", ...}]) without repeats. */
int stats_links(const char *json, char (*out)[64], int max);

/* The fold (fold.c) over the store's events around [from, to): segments
 * and intervals as they come (the caller keeps those of its period), each
 * event first to on_event when given. */
int stats_fold_store(struct db *db, int64_t from, int64_t to, int64_t now, stats_segment_h on_segment, stats_interval_h on_interval,
                     stats_event_h on_event, void *arg);

/* Calls and the consulate of the case recorded with them at the desk
 * (consulates.c): the desk's records of the calls of [from, to), made
 * during the call, its wrap-up or later (up to STATS_RECORD_LATE_S after
 * the period), whose case has a consulate: the one it is assigned to, else
 * the one it states. m starts zeroed; free(m->v) after. */
#define STATS_RECORD_LATE_S (7 * 86400)
struct stats_call_consulate {
    int64_t call;
    char consulate[16];
};
struct stats_consulates {
    struct stats_call_consulate *v;
    int n, cap;
};
int stats_consulates_load(struct db *db, int64_t from, int64_t to, struct stats_consulates *m);
/* A stats_query's consulate_of over such a map: "" for a call without one. */
const char *stats_consulate_of(int64_t call, void *map);

#endif
