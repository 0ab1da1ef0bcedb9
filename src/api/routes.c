/*
 * The route table: every URL wasl answers, who may call it, how big its body
 * may be, and one line on what it does. docs/api/openapi.json is checked
 * against this table by the test suite.
 */
#include "api.h"

#define KB 1024

/* clang-format off */
const struct route api_routes[] = {
    {"GET",    "/healthz",                      api_healthz,          ROLE_NONE,  0,      "Liveness and store check", 0},
    {"GET",    "/metrics",                      api_metrics,          ROLE_NONE,  0,      "Prometheus metrics (local addresses only)", ROUTE_LOCAL_ONLY},
    {"POST",   "/api/v1/session",               api_login,            ROLE_NONE,  4 * KB, "Log in; sets the session cookie", ROUTE_PUBLIC_POST},
    {"GET",    "/api/v1/session",               api_session_get,      ROLE_STAFF, 0,      "The current user and CSRF token", ROUTE_PW_CHANGE},
    {"DELETE", "/api/v1/session",               api_logout,           ROLE_STAFF, 0,      "Log out", ROUTE_PW_CHANGE},
    {"PATCH",  "/api/v1/me",                    api_me_update,        ROLE_STAFF, 1 * KB, "Change one's own preferences (language)", ROUTE_PW_CHANGE},
    {"POST",   "/api/v1/me/password",           api_me_password,      ROLE_STAFF, 2 * KB, "Change one's own password", ROUTE_PW_CHANGE},
    {"GET",    "/api/v1/users",                 api_users_list,       ROLE_ADMIN, 0,      "List user accounts", 0},
    {"POST",   "/api/v1/users",                 api_users_create,     ROLE_ADMIN, 4 * KB, "Create a user account", 0},
    {"GET",    "/api/v1/users/{id}",            api_users_get,        ROLE_ADMIN, 0,      "One user account", 0},
    {"PATCH",  "/api/v1/users/{id}",            api_users_update,     ROLE_ADMIN, 4 * KB, "Change a user's name, role, consulate, language or disabled flag", 0},
    {"POST",   "/api/v1/users/{id}/password",   api_users_reset_password, ROLE_ADMIN, 0,  "Reset a user's password to a new temporary one", 0},
    {"POST",   "/api/v1/users/{id}/unlock",     api_users_unlock,     ROLE_ADMIN, 0,      "Lift a lock-out after failed logins", 0},
    {"GET",    "/api/v1/audit",                 api_audit_list,       ROLE_ADMIN, 0,      "Audit trail entries, newest first", 0},
    {"GET",    "/api/v1/audit/verify",          api_audit_verify,     ROLE_ADMIN, 0,      "Check the audit trail's hash chain", 0},
    {"GET",    "/api/v1/countries",             api_countries,        ROLE_NONE,  0,      "Countries served, with names in the seven languages", 0},
    {"GET",    "/api/v1/consulates",            api_consulates,       ROLE_NONE,  0,      "Consular posts", 0},
    {"GET",    "/api/v1/nationalities",         api_nationalities,    ROLE_NONE,  0,      "Nationalities with their names in the seven languages", 0},
    {"GET",    "/api/v1/entry-rules",           api_entry_rules,      ROLE_NONE,  0,      "Entry and stay rules for one nationality (?nationality=XX)", 0},
    {"GET",    "/api/v1/guide/categories",      api_guide_categories, ROLE_STAFF, 0,      "Categories of the consular guide", 0},
    {"GET",    "/api/v1/guide/search",          api_guide_search,     ROLE_STAFF, 0,      "Search the guide (?q=&lang=&limit=&log=)", 0},
    {"POST",   "/api/v1/guide/searches/{id}/opened", api_guide_search_opened, ROLE_STAFF, 1 * KB, "Record the article a search led to", 0},
    {"GET",    "/api/v1/guide/articles",        api_guide_articles,   ROLE_STAFF, 0,      "Articles with their state in each language (?category=&lang=)", 0},
    {"POST",   "/api/v1/guide/articles",        api_guide_article_create, ROLE_EDITOR, 128 * KB, "Create an article with its first draft", 0},
    {"GET",    "/api/v1/guide/articles/{slug}", api_guide_article_get, ROLE_STAFF, 0,     "The text in force (?lang=&at=YYYY-MM-DD), with fallback and notices", 0},
    {"GET",    "/api/v1/guide/articles/{slug}/versions", api_guide_versions, ROLE_STAFF, 0, "Every version of an article (?lang=)", 0},
    {"POST",   "/api/v1/guide/articles/{slug}/versions", api_guide_version_add, ROLE_EDITOR, 128 * KB, "Add a draft version (an amendment or a translation)", 0},
    {"GET",    "/api/v1/guide/versions/{id}",   api_guide_version_get, ROLE_STAFF, 0,     "One version", 0},
    {"POST",   "/api/v1/guide/versions/{id}/submit", api_guide_submit, ROLE_EDITOR, 0,    "Send a draft for review", 0},
    {"POST",   "/api/v1/guide/versions/{id}/approve", api_guide_approve, ROLE_EDITOR | ROLE_SUPERVISOR, 2 * KB, "Approve and publish, effective on a date (not one's own text)", 0},
    {"POST",   "/api/v1/guide/versions/{id}/reject", api_guide_reject, ROLE_EDITOR | ROLE_SUPERVISOR, 2 * KB, "Send a version back with a note", 0},
    {"GET",    "/api/v1/guide/review",          api_guide_review,     ROLE_EDITOR | ROLE_SUPERVISOR, 0, "Versions waiting for review", 0},
    {"GET",    "/api/v1/guide/diff",            api_guide_diff,       ROLE_STAFF, 0,      "Differences between two versions (?from=&to=)", 0},
    {"POST",   "/api/v1/guide/preview",         api_guide_preview,    ROLE_EDITOR, 128 * KB, "Render Markdown as the agents will see it", 0},
    {"GET",    "/api/v1/guide/synonyms",        api_guide_synonyms,   ROLE_STAFF, 0,      "Synonym groups used by search", 0},
    {"POST",   "/api/v1/guide/synonyms",        api_guide_synonym_add, ROLE_EDITOR, 1 * KB, "Add a term to a synonym group", 0},
    {"DELETE", "/api/v1/guide/synonyms/{id}",   api_guide_synonym_delete, ROLE_EDITOR, 0, "Remove a synonym", 0},
    {"GET",    "/api/v1/guide/gaps",            api_guide_gaps,       ROLE_EDITOR | ROLE_SUPERVISOR, 0, "Searches that found nothing or led nowhere (?kind=zero|unopened&days=)", 0},
    {"GET",    "/api/v1/cases/types",           api_case_types,       ROLE_STAFF, 0,      "Case types with their declared fields, categories, priorities, statuses", 0},
    {"GET",    "/api/v1/cases",                 api_cases_list,       ROLE_AGENT | ROLE_SUPERVISOR | ROLE_BACKOFFICE | ROLE_ADMIN, 0, "Cases, personal data masked (?status=&type=&consulate=&assignee=me|ID&overdue=1&phone=&email=&before=&limit=)", 0},
    {"POST",   "/api/v1/cases",                 api_cases_create,     ROLE_AGENT | ROLE_SUPERVISOR | ROLE_BACKOFFICE | ROLE_ADMIN, 32 * KB, "Open a case; answers its reference and the citizen's PIN", 0},
    {"GET",    "/api/v1/cases/{ref}",           api_cases_get,        ROLE_AGENT | ROLE_SUPERVISOR | ROLE_BACKOFFICE | ROLE_ADMIN, 0, "One case with its history, personal data in clear (audited)", 0},
    {"PATCH",  "/api/v1/cases/{ref}",           api_cases_update,     ROLE_AGENT | ROLE_SUPERVISOR | ROLE_BACKOFFICE | ROLE_ADMIN, 8 * KB, "Change status, priority, category, assignment or fields", 0},
    {"POST",   "/api/v1/cases/{ref}/notes",     api_cases_note,       ROLE_AGENT | ROLE_SUPERVISOR | ROLE_BACKOFFICE | ROLE_ADMIN, 16 * KB, "Add a note, internal or shown to the citizen", 0},
    {"POST",   "/api/v1/cases/{ref}/merge",     api_cases_merge,      ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN, 1 * KB, "Merge this duplicate into another case", 0},
    {"POST",   "/api/v1/privacy/export",        api_privacy_export,   ROLE_ADMIN, 1 * KB, "Everything held about a phone number or e-mail address (audited)", 0},
    {"POST",   "/api/v1/privacy/erase",         api_privacy_erase,    ROLE_ADMIN, 1 * KB, "Erase a citizen's personal data; cases stay as statistics (audited)", 0},
    {"GET",    "/api/v1/calendar",              api_calendar,         ROLE_NONE,  0,      "Whether the center is open, its hours and coming holidays", 0},
    {"GET",    "/api/v1/portal/form",           api_portal_form,      ROLE_NONE,  0,      "What the citizens' portal form offers: types, fields, categories", 0},
    {"POST",   "/api/v1/portal/cases",          api_portal_file,      ROLE_NONE,  16 * KB, "File a complaint, suggestion or observation (rate limited)", ROUTE_PUBLIC_POST},
    {"POST",   "/api/v1/portal/track",          api_portal_track,     ROLE_NONE,  1 * KB, "A case's status and public notes, by reference and PIN (throttled)", ROUTE_PUBLIC_POST},
    {"POST",   "/api/v1/portal/rate",           api_portal_rate,      ROLE_NONE,  2 * KB, "Rate how a resolved case was handled (1-5, comment)", ROUTE_PUBLIC_POST},
    {"GET",    "/open311/v2/services.json",     api_o311_services,    ROLE_NONE,  0,      "Open311 GeoReport v2: service list (?lang=)", 0},
    {"GET",    "/open311/v2/services/{code}",   api_o311_service,     ROLE_NONE,  0,      "Open311: service definition ({code}.json)", 0},
    {"POST",   "/open311/v2/requests.json",     api_o311_create,      ROLE_NONE,  16 * KB, "Open311: create a service request (form-encoded)", ROUTE_PUBLIC_POST | ROUTE_FORM},
    {"GET",    "/open311/v2/requests.json",     api_o311_requests,    ROLE_NONE,  0,      "Open311: one request (?service_request_id=&pin=)", 0},
    {"GET",    "/open311/v2/requests/{id}",     api_o311_request,     ROLE_NONE,  0,      "Open311: one request ({id}.json?pin=)", 0},
};
/* clang-format on */
const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
