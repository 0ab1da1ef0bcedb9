/*
 * api: the JSON API of wasl. The route table (routes.c) and one file of
 * handlers per area; each handler parses, makes one domain call, renders.
 */
#ifndef WASL_API_H
#define WASL_API_H

#include <jansson.h>

#include "http/http.h"
#include "store/store.h"

/* What every handler can reach, given to the server as its app context. */
struct app {
    struct db *db;
};

extern const struct route api_routes[];
extern const size_t api_routes_count;

#define APP(r) ((struct app *)(r)->app)

/* RFC 3339 UTC string, or JSON null for 0. */
json_t *api_time(wtime_t t);
json_t *api_user_json(const struct user *u);
/* Path parameter {name} as a positive integer id. */
int api_param_id(struct http_req *r, const char *name, int64_t *out);
/* Optional query parameter as an integer in [lo, hi]; *out keeps its value
 * when the parameter is absent; 400 naming it when it is not a number. */
int api_query_int(struct http_req *r, const char *name, long long lo, long long hi, void *out);
/* A UTC instant (2026-12-06T20:00:00Z) from the query, left as is when
 * absent; code: the API error code of a bad one (a static string). */
int api_query_time(struct http_req *r, const char *name, const char *code, wtime_t *out);
/* Re-names the field of the current error hint (a domain function's "password"
 * is the request's "new_password"). Returns err. */
int api_rename_field(int err, const char *from, const char *to);

/* The telephony's live state as the API shows it (tel.c), also pushed on
 * the event stream (live.c). */
struct tel_agent;
struct tel_status;
json_t *api_tel_agent_json(const struct tel_agent *a);
json_t *api_tel_status_json(struct db *db, const struct tel_status *s);
/* The thread that publishes the telephony's snapshots as events (when the
 * telephony runs); stopped before the web server. */
int api_live_start(struct db *db);
void api_live_stop(void);
/* The live supervision figures (supervision.c): the thresholds of
 * data/supervision/thresholds.json (setting supervision.thresholds) read
 * at start (data.invalid naming the key when the file is wrong), and the
 * JSON of GET /api/v1/supervision/live, also the stream's event
 * "supervision"; wait: the very first time, for today's figures (the live
 * events' thread does not: its first event goes without them). */
extern const struct conf_def api_conf[];
extern const size_t api_conf_count;
int api_supervision_load(const char *data_dir);
int api_supervision_parse(const char *text, size_t len);
json_t *api_supervision_json(struct db *db, const struct tel_status *s, bool wait);
/* Stops the thread of today's figures (api_live_stop() does). */
void api_supervision_stop(void);
/* A case as the API shows it: full, the view (personal data as given, what
 * the viewer of this role may do next); else a list row. */
struct case_rec;
json_t *api_case_json(const struct case_rec *c, bool full, int role);

/* Each queue's own service-level threshold (data/tel/queues.json) into th,
 * at most max; returns how many (stats.c, also for the published figures). */
struct stats_threshold;
int api_stats_thresholds(struct stats_threshold *th, int max);
/* The published figures' settings (figures.c). */
extern const struct conf_def api_figures_conf[];
extern const size_t api_figures_conf_count;

/* handlers */
int api_healthz(struct http_req *r);
int api_healthz_leader(struct http_req *r);
int api_supervision_live(struct http_req *r);
int api_metrics(struct http_req *r);
int api_login(struct http_req *r);
int api_session_get(struct http_req *r);
int api_logout(struct http_req *r);
int api_me_update(struct http_req *r);
int api_me_password(struct http_req *r);
int api_users_list(struct http_req *r);
int api_users_create(struct http_req *r);
int api_users_get(struct http_req *r);
int api_users_update(struct http_req *r);
int api_users_reset_password(struct http_req *r);
int api_users_unlock(struct http_req *r);
int api_audit_list(struct http_req *r);
int api_audit_verify(struct http_req *r);
int api_languages(struct http_req *r);
int api_countries(struct http_req *r);
int api_consulates(struct http_req *r);
int api_guide_articles(struct http_req *r);
int api_guide_article_create(struct http_req *r);
int api_guide_article_get(struct http_req *r);
int api_guide_versions(struct http_req *r);
int api_guide_version_add(struct http_req *r);
int api_guide_version_get(struct http_req *r);
int api_guide_submit(struct http_req *r);
int api_guide_approve(struct http_req *r);
int api_guide_reject(struct http_req *r);
int api_guide_review(struct http_req *r);
int api_guide_diff(struct http_req *r);
int api_guide_preview(struct http_req *r);
int api_guide_categories(struct http_req *r);
int api_guide_search(struct http_req *r);
int api_guide_search_opened(struct http_req *r);
int api_guide_gaps(struct http_req *r);
int api_guide_coverage(struct http_req *r);
int api_guide_queue(struct http_req *r);
int api_guide_synonyms(struct http_req *r);
int api_guide_synonym_add(struct http_req *r);
int api_guide_synonym_delete(struct http_req *r);
int api_entry_rules(struct http_req *r);
int api_nationalities(struct http_req *r);
int api_case_types(struct http_req *r);
int api_cases_create(struct http_req *r);
int api_cases_list(struct http_req *r);
int api_cases_get(struct http_req *r);
int api_cases_update(struct http_req *r);
int api_cases_note(struct http_req *r);
int api_cases_merge(struct http_req *r);
int api_calendar_emergency(struct http_req *r);
int api_me_phone(struct http_req *r);
int api_me_state(struct http_req *r);
int api_users_sip(struct http_req *r);
int api_users_sip_get(struct http_req *r);
int api_tel_status(struct http_req *r);
int api_stream(struct http_req *r);
int api_tel_calls(struct http_req *r);
int api_tel_callbacks(struct http_req *r);
int api_events_list(struct http_req *r);
int api_tel_supervise(struct http_req *r);
int api_tel_callback_add(struct http_req *r);
int api_tel_transfer(struct http_req *r);
int api_tel_move(struct http_req *r);
int api_tel_consult(struct http_req *r);
int api_tel_colleagues(struct http_req *r);
int api_tel_pause_reasons(struct http_req *r);
int api_tel_agent_force(struct http_req *r);
int api_tel_call_control(struct http_req *r);
int api_events_kinds(struct http_req *r);
int api_staff(struct http_req *r);
int api_staff_plan(struct http_req *r);
int api_stats(struct http_req *r);
int api_public_figures(struct http_req *r);
int api_stats_cases(struct http_req *r);
int api_stats_contacts(struct http_req *r);
int api_stats_procedures(struct http_req *r);
int api_stats_scorecard(struct http_req *r);
int api_quality_forms(struct http_req *r);
int api_practice_scripts(struct http_req *r);
int api_practice_start(struct http_req *r);
int api_practice_sessions(struct http_req *r);
int api_practice_session(struct http_req *r);
int api_practice_record(struct http_req *r);
int api_quality_agents(struct http_req *r);
int api_quality_calls(struct http_req *r);
int api_quality_sample(struct http_req *r);
int api_quality_call(struct http_req *r);
int api_quality_calibration(struct http_req *r);
int api_quality_review_save(struct http_req *r);
int api_quality_reviews(struct http_req *r);
int api_quality_review_get(struct http_req *r);
int api_quality_acknowledge(struct http_req *r);
int api_coaching_list(struct http_req *r);
int api_coaching_get(struct http_req *r);
int api_coaching_plan(struct http_req *r);
int api_coaching_done(struct http_req *r);
int api_coaching_acknowledge(struct http_req *r);
int api_coaching_attach(struct http_req *r);
int api_coaching_supervisions(struct http_req *r);
int api_coaching_progress(struct http_req *r);
int api_tel_recording(struct http_req *r);
int api_tel_messages(struct http_req *r);
int api_tel_message_audio(struct http_req *r);
int api_tel_message_handle(struct http_req *r);
int api_tel_message_callback(struct http_req *r);
int api_tel_flow_reload(struct http_req *r);
int api_privacy_export(struct http_req *r);
int api_privacy_erase(struct http_req *r);
int api_portal_form(struct http_req *r);
int api_portal_file(struct http_req *r);
int api_portal_track(struct http_req *r);
int api_portal_rate(struct http_req *r);
int api_portal_reply(struct http_req *r);
int api_briefings_mine(struct http_req *r);
int api_briefing_acknowledge(struct http_req *r);
int api_briefings_list(struct http_req *r);
int api_briefing_get(struct http_req *r);
int api_briefings_check(struct http_req *r);
int api_desk_dispositions(struct http_req *r);
int api_desk_caller(struct http_req *r);
int api_desk_call_get(struct http_req *r);
int api_desk_call_put(struct http_req *r);
int api_desk_today(struct http_req *r);
int api_o311_services(struct http_req *r);
int api_o311_service(struct http_req *r);
int api_o311_create(struct http_req *r);
int api_o311_requests(struct http_req *r);
int api_o311_request(struct http_req *r);
int api_calendar(struct http_req *r);

#endif
