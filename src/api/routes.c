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
};
/* clang-format on */
const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
