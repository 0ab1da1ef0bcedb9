"""The event log's API: its kinds agree with docs/events.md (defined once),
only supervisors and administrators read it, and bad filters are refused
with the field named."""
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def doc_kinds():
    rows = {}
    with open(os.path.join(TOP, "docs", "events.md")) as f:
        for line in f:
            m = re.match(r"^\| `([a-z_.]+)` \| ([^|]*) \|", line)
            if m and "." in m.group(1):
                rows[m.group(1)] = re.findall(r"`(\w+)`", m.group(2))
    return rows


def test_kinds_match_docs(t):
    s = t.login("supervisor")
    r = s.get("/api/v1/events/kinds")
    t.status(r, 200, None, "kinds")
    kinds = {k["kind"]: k["fields"] for k in r.json["items"]}
    t.true(len(kinds) >= 15, f"{len(kinds)} kinds")
    t.eq(doc_kinds(), kinds, "docs/events.md lists every kind with its fields, and nothing else")
    for k in r.json["items"]:
        t.true(len(k["meaning"]) > 20, f"{k['kind']} says what it means")


def test_roles_and_filters(t):
    for who in ("agent", "editor", "backoffice"):
        t.status(t.login(who).get("/api/v1/events"), 403, None, f"{who} cannot read the event log")
    t.status(t.client().get("/api/v1/events"), 401, None, "nobody without a session")
    s = t.login("supervisor")
    r = s.get("/api/v1/events?limit=5")
    t.status(r, 200, None, "supervisor reads the log")
    t.true(isinstance(r.json["items"], list), "items")
    for q, field in (("limit=0", "limit"), ("limit=10001", "limit"), ("call=abc", "call"), ("since=yesterday", "since"),
                     ("after=-1", "after")):
        r = s.get("/api/v1/events?" + q)
        t.status(r, 400, None, q)
        t.eq(r.json["error"].get("field"), field, f"{q} names its field")


def test_period_filters(t):
    """since/until (instants in µs in the store) work on both stores: on
    PostgreSQL "? = 0" once typed the bound as a 32-bit integer."""
    s = t.login("supervisor")
    r = s.get("/api/v1/events?since=2026-01-01T00:00:00Z&until=2030-01-01T00:00:00Z&limit=10")
    t.status(r, 200, None, "a period")
    r = s.get("/api/v1/events?until=2000-01-01T00:00:00Z")
    t.status(r, 200, None, "a period long gone")
    t.eq(r.json["items"], [], "nothing before 2000")
