"""The published figures (GET /api/v1/public/figures, docs/published-figures.md):
two months of calls (written to the event log) and complaints (filed through
the portal, then dated back in the store) give, for anybody without a login,
each country's and consulate's month (a call's consulate: that of the case
recorded with it at the desk) with small counts suppressed - a count
under publish.min_count withheld, and a second one so the total minus the
others cannot tell it; the shares and medians of withheld or small counts
withheld too. The cells shown are the internal reports' numbers for the same
month (GET /api/v1/stats by country and in total, the cases list); nothing
personal comes out; only whole months; ETag and Cache-Control; the public
limiter answers 429 past publish.per_hour. On both backends."""
import csv
import io
import json
import subprocess
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import harness

PER_HOUR = 60
SETTINGS = {"cases.demo_cases": "0", "cases.portal_per_hour": "500", "publish.per_hour": str(PER_HOUR)}
MIN = 10  # publish.min_count's default

ZONE = ZoneInfo("Africa/Casablanca")  # the center's; its offset changes with the tz database's rules


def local(y, m, d, hh=0, mm=0):
    """The UTC instant (2026-11-01T00:00:00Z) of a wall-clock time in Casablanca."""
    return datetime(y, m, d, hh, mm, tzinfo=ZONE).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


OCT = ("2026-10", local(2026, 10, 1), local(2026, 11, 1))
NOV = ("2026-11", local(2026, 11, 1), local(2026, 12, 1))
MARKERS = ("Zoubida Figuier", "zoubida.figuier@example.org", "0612345678", "Rendez-vous introuvable", "RDV-MARKER-71")


def us(iso):
    """µs of an instant written 2026-11-01T10:00:00Z, with or without milliseconds (as the API writes them)."""
    if iso is None:
        return None
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in iso else "%Y-%m-%dT%H:%M:%SZ"
    return round(datetime.strptime(iso, fmt).replace(tzinfo=timezone.utc).timestamp() * 1000000)


def sql(t, statement):
    if t.srv.backend == "sqlite":
        r = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", t.srv.db], input=statement, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    else:
        r = subprocess.run(["psql", "-q", "-At", "-v", "ON_ERROR_STOP=1", t.srv.db], input=statement, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise harness.Failure(f"SQL failed: {r.stderr}\n{statement[:300]}")
    return r.stdout


# ---- the two months, written once for the file's server ----

NEXT_CALL = [1000]


def call(rows, at, country, waited_s, answered=True, queue="fr"):
    """One call: arrived, queued, answered after waited_s (or gone), ended."""
    NEXT_CALL[0] += 1
    c = NEXT_CALL[0]
    rows += [(at, "call.arrived", c, None, None, {"did": "+800", "country": country, "sip_call_id": f"c{c}"}),
             (at, "queue.joined", c, None, queue, {"service": "general", "position": 1})]
    w = at + waited_s * 1000000
    if answered:
        rows += [(w, "call.answered", c, 7, queue, {"waited_ms": waited_s * 1000}),
                 (w + 60000000, "call.ended", c, 7, None, {"outcome": "answered", "path": "", "waited_ms": waited_s * 1000,
                                                           "talked_ms": 60000})]
    else:
        rows += [(w, "call.abandoned", c, None, queue, {"waited_ms": waited_s * 1000, "position": 1})]


# November: FR 20 answered (waits 1..40 s by 2: median 19 s, 10 within the 20 s
# target) and 2 gone after 40 s; BE 11 answered at 5 s; ES 3 answered (small).
FR_WAITS = list(range(1, 41, 2))


def write_calls(t):
    rows = []
    nov = us("2026-11-03T09:00:00Z")
    for i, w in enumerate(FR_WAITS[:-1]):
        call(rows, nov + i * 600000000, "FR", w)
    # the last one at 00:30 on 1 November in Casablanca
    call(rows, us(local(2026, 11, 1, 0, 30)), "FR", FR_WAITS[-1])
    for i in range(2):
        call(rows, nov + (100 + i) * 600000000, "FR", 40, answered=False)
    for i in range(11):
        call(rows, nov + (200 + i) * 600000000, "BE", 5)
    for i in range(3):
        call(rows, nov + (300 + i) * 600000000, "ES", 8, queue="es")
    # 00:30 on 1 December in Casablanca: not November's
    call(rows, us(local(2026, 12, 1, 0, 30)), "FR", 1)
    # October: FR 10 answered at 30 s
    for i in range(10):
        call(rows, us("2026-10-05T09:00:00Z") + i * 600000000, "FR", 30)
    values = ",\n".join("(%d, '%s', %d, %s, %s, '%s')" % (a, k, c, g if g else "NULL", f"'{q}'" if q else "NULL",
                                                           json.dumps(d)) for a, k, c, g, q, d in rows)
    sql(t, f"INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES {values};")


def file_complaint(t, country, consulate, i):
    c = t.client()
    r = c.post("/api/v1/portal/cases", {
        "type": "complaint", "category": "fees-appointments", "language": "fr", "country": country, "consulate": consulate,
        "subject": f"{MARKERS[3]} {i}", "description": f"{MARKERS[4]}: j'essaie depuis trois semaines.",
        "fields": {"about": "appointments"},
        "citizen": {"name": MARKERS[0], "email": MARKERS[1], "phone": MARKERS[2]}})
    t.status(r, 201, None, "complaint filed")
    return r.json["reference"]


def date_case(t, ref, created, resolved=None, due=None, rating=None, merged=False):
    sets = [f"created_at = {us(created)}", f"updated_at = {us(created)}"]
    if resolved:
        sets += ["status = 'resolved'", f"resolved_at = {us(resolved)}", f"resolution_due = {us(due)}"]
    if rating:
        sets += [f"rating = {rating}", f"rated_at = {us(resolved)}"]
    if merged:
        sets += ["status = 'merged'"]
    sql(t, f"UPDATE cases SET {', '.join(sets)} WHERE reference = '{ref}';")


def write_cases(t):
    """November: FR-PAR (France) 12 received, 11 resolved (9 by their
    deadline), 11 rated (8 at 4 or 5); ES-MAD (Spain) 4 received (small);
    IT-MIL... (Italy) 10 received; a duplicate merged away. October: FR-PAR
    10 received, 5 resolved in time."""
    refs = [file_complaint(t, "FR", "FR-PAR", i) for i in range(12)]
    # the first was filed at 00:30 on 1 November in Casablanca
    date_case(t, refs[0], local(2026, 11, 1, 0, 30))
    for i, ref in enumerate(refs[1:]):
        late = i < 2
        date_case(t, ref, f"2026-11-{2 + i:02d}T10:00:00Z", resolved=f"2026-11-{12 + i:02d}T10:00:00Z",
                  due=f"2026-11-{(10 if late else 20) + i:02d}T10:00:00Z", rating=2 if i < 3 else 5)
    for i in range(4):
        date_case(t, file_complaint(t, "ES", "ES-MAD", i), f"2026-11-{5 + i:02d}T10:00:00Z")
    it = [c["code"] for c in t.client().get("/api/v1/consulates").json["consulates"] if c["country"] == "IT"][0]
    for i in range(10):
        date_case(t, file_complaint(t, "IT", it, i), f"2026-11-{5 + i:02d}T11:00:00Z")
    date_case(t, file_complaint(t, "FR", "FR-PAR", 99), "2026-11-20T10:00:00Z", merged=True)
    for i in range(10):
        ref = file_complaint(t, "FR", "FR-PAR", 100 + i)
        if i < 5:
            date_case(t, ref, f"2026-10-{2 + i:02d}T10:00:00Z", resolved=f"2026-10-{10 + i:02d}T10:00:00Z",
                      due=f"2026-10-{20 + i:02d}T10:00:00Z")
        else:
            date_case(t, ref, f"2026-10-{2 + i:02d}T10:00:00Z")
    return it


_seeded = {}


def record_calls(t, ref):
    """Twelve of France's November calls (1001-1012, waits 1 .. 23 s) recorded
    at the desk with a case of FR-PAR: that consulate's calls."""
    at = us("2026-11-04T09:00:00Z")
    values = ",\n".join(f"('{c}', 7, 'information_given', '{ref}', {at}, {at})" for c in range(1001, 1013))
    sql(t, "INSERT INTO call_dispositions (call_id, agent_user, disposition, case_reference, created_at, updated_at) "
           f"VALUES {values};")


def seed(t):
    if not _seeded:
        write_calls(t)
        _seeded["it"] = write_cases(t)
        ref = sql(t, "SELECT reference FROM cases WHERE consulate = 'FR-PAR' ORDER BY id LIMIT 1;").strip()
        record_calls(t, ref)
    return _seeded["it"]


def published(t, month, fmt="json", **kw):
    return t.client().get(f"/api/v1/public/figures?month={month}" + ("" if fmt == "json" else f"&format={fmt}"), **kw)


def by_code(rows):
    return {r.get("code"): r for r in rows}


# ---- the tests ----

def test_november_by_hand(t):
    """Every cell of November against values worked out by hand."""
    it = seed(t)
    r = published(t, NOV[0])
    t.status(r, 200, None, "no login needed")
    j = r.json
    t.eq((j["month"], us(j["from"]), us(j["to"]), j["min_count"]), (NOV[0], us(NOV[1]), us(NOV[2]), MIN),
         "the month in Casablanca")
    tot = j["total"]
    t.eq(tot["calls_answered"], 20 + 11 + 3, "answered in November, with the call of 00:30 on the 1st, not the one of 1 December")
    t.eq(tot["suppressed"], [], "nothing withheld in the total")
    fr = by_code(j["countries"])["FR"]
    t.eq(fr["calls_answered"], 20, "France: 20 answered")
    t.eq(fr["service_level"], 0.4545, "France: 10 of 22 (two gave up after 40 s) answered within 20 s")
    t.eq(fr["median_wait_s"], 19, "France: the median of 1, 3 ... 39 s is 19 s (the lower of the two middle ones)")
    t.eq((fr["complaints_received"], fr["complaints_resolved"], fr["resolved_within_deadline"]), (12, 11, 0.8182),
         "France: 12 received (the duplicate left out), 11 resolved, 9 by their deadline")
    t.eq((fr["ratings"], fr["satisfaction"]), (11, 0.7273), "France: 11 ratings, 8 at 4 or 5")
    # Spain: 3 calls and 4 complaints, under 10: withheld, with their shares
    es = by_code(j["countries"])["ES"]
    t.eq((es["calls_answered"], es["service_level"], es["median_wait_s"], es["complaints_received"]), (None,) * 4,
         "Spain's small counts and what is computed from them are withheld")
    t.true({"calls_answered", "service_level", "median_wait_s", "complaints_received"} <= set(es["suppressed"]), es)
    # Belgium (11 calls) and Italy (10 complaints) hide Spain: secondary suppression
    be, itr = by_code(j["countries"])["BE"], by_code(j["countries"])["IT"]
    t.eq((be["calls_answered"], be["median_wait_s"]), (None, None), "Belgium's 11 calls hide Spain's 3 from the total")
    t.true("calls_answered" in be["suppressed"], be)
    t.eq(itr["complaints_received"], None, "Italy's 10 complaints hide Spain's 4 from the total")
    t.eq(itr["calls_answered"], 0, "Italy: no call - zero tells nothing and is shown")
    t.eq((itr["service_level"], itr["median_wait_s"]), (None, None), "no call, no share")
    t.true("service_level" not in itr["suppressed"], "a share without a denominator is empty, not withheld")
    cons = by_code(j["consulates"])
    t.eq(cons["FR-PAR"]["complaints_received"], 12, "FR-PAR: 12")
    t.eq((cons["FR-PAR"]["calls_answered"], cons["FR-PAR"]["service_level"], cons["FR-PAR"]["median_wait_s"]),
         (12, 0.8333, 11), "FR-PAR: the 12 calls recorded with its cases, 10 within 20 s, median 11 s")
    t.eq(cons[None]["calls_answered"], 34 - 12, "the calls about no case: consulate not stated")
    t.eq((cons["ES-MAD"]["complaints_received"], cons[it]["complaints_received"]), (None, None),
         "ES-MAD's 4 withheld, and the next smallest (Italy's 10) with it")
    t.eq(tot["complaints_received"], 26, "26 complaints in all")


def test_october(t):
    seed(t)
    j = published(t, OCT[0]).json
    fr = by_code(j["countries"])["FR"]
    t.eq((fr["calls_answered"], fr["service_level"], fr["median_wait_s"]), (10, 0.0, 30), "October: 10 calls, all at 30 s")
    t.eq((fr["complaints_received"], fr["complaints_resolved"]), (10, None), "10 received; 5 resolved, withheld")
    t.eq(fr["resolved_within_deadline"], None, "the share of a withheld count is withheld")
    t.eq(j["total"]["complaints_resolved"], None, "the total is France's: withheld too (5 < 10)")


def check_table(t, total, rows, figures, what):
    """No withheld count can be worked out: in each column, none or at least
    two cells are withheld, and together they are at least min_count."""
    for f in figures:
        hidden = [r for r in rows if f in r["suppressed"]]
        if not hidden or total[f] is None:
            continue
        shown = sum(r[f] for r in rows if r.get(f) is not None)
        t.true(len(hidden) >= 2, f"{what} {f}: a single withheld cell would be total minus the others")
        t.true(total[f] - shown >= MIN, f"{what} {f}: the withheld cells add up to {total[f] - shown}, under {MIN}")


def test_suppression_rules_hold_everywhere(t):
    seed(t)
    for month in (OCT[0], NOV[0]):
        j = published(t, month).json
        for rows, figures, what in ((j["countries"], ("calls_answered", "complaints_received", "complaints_resolved", "ratings"),
                                     "countries"),
                                    (j["consulates"], ("calls_answered", "complaints_received", "complaints_resolved", "ratings"),
                                     "consulates")):
            check_table(t, j["total"], rows, figures, f"{month} {what}")
            for r in rows + [j["total"]]:
                for f in ("calls_answered", "complaints_received", "complaints_resolved", "ratings"):
                    v = r.get(f)
                    t.true(v is None or v == 0 or v >= MIN, f"{month} {what} {r.get('code')} {f}={v}: a small count shown")


def test_matches_the_internal_reports(t):
    """Each cell shown is the internal report's: /api/v1/stats by country and
    in total for the calls, the cases list for complaints and ratings."""
    seed(t)
    s = t.login("supervisor")
    for month, start, end in (OCT, NOV):
        j = published(t, month).json
        period = f"from={start}&to={end}"
        internal = {x["key"]: x for x in s.get(f"/api/v1/stats?{period}&by=country").json["rows"]}
        consulates = {x["key"]: x for x in s.get(f"/api/v1/stats?{period}&by=consulate").json["rows"]}
        total = s.get(f"/api/v1/stats?{period}&by=total").json["rows"][0]
        compared = 0
        for row, x in [(r, internal.get(r["code"] or "")) for r in j["countries"]] + [(j["total"], total)] + \
                [(r, consulates.get(r["code"] or "")) for r in j["consulates"]]:
            if x is None:
                t.eq(row["calls_answered"], 0, f"{month} {row.get('code')}: no call in the internal report")
                continue
            if row["calls_answered"] is not None:
                t.eq(row["calls_answered"], x["answered"], f"{month} {row.get('code')} answered")
                compared += 1
            if row["service_level"] is not None:
                t.true(abs(row["service_level"] - x["service_level_offered"]) < 0.00005, f"{month} {row.get('code')} SL")
                compared += 1
        t.true(compared >= 4, f"{month}: {compared} call cells compared")
        cases = s.get("/api/v1/cases?type=complaint&limit=500").json["cases"]
        lo, hi = us(start), us(end)

        def within(v):
            return v is not None and lo <= us(v) < hi

        want = {}
        for c in cases:
            if c["status"] == "merged":
                continue
            for level, code in (("countries", c["country"]), ("consulates", c["consulate"])):
                w = want.setdefault((level, code), {"complaints_received": 0, "complaints_resolved": 0, "in_time": 0,
                                                    "ratings": 0})
                w["complaints_received"] += within(c["created_at"])
                if within(c["resolved_at"]):
                    w["complaints_resolved"] += 1
                    w["in_time"] += us(c["resolved_at"]) <= us(c["resolution_due"])
                    w["ratings"] += bool(c.get("rating"))  # every rating here was given on the day of resolution
        compared = 0
        for level in ("countries", "consulates"):
            for row in j[level]:
                w = want.get((level, row["code"]))
                for f in ("complaints_received", "complaints_resolved", "ratings"):
                    if row[f] is not None:
                        t.eq(row[f], w[f] if w else 0, f"{month} {level} {row['code']} {f}")
                        compared += 1
                if row["resolved_within_deadline"] is not None:
                    t.true(abs(row["resolved_within_deadline"] - w["in_time"] / w["complaints_resolved"]) < 0.00005, row)
        t.true(compared >= 3, f"{month}: {compared} case cells compared")


def test_no_personal_data(t):
    seed(t)
    allowed = {"code", "calls_answered", "service_level", "median_wait_s", "complaints_received", "complaints_resolved",
               "resolved_within_deadline", "ratings", "satisfaction", "suppressed"}
    for fmt in ("json", "csv"):
        body = published(t, NOV[0], fmt).body
        for m in MARKERS + ("@", "+33", "+800"):
            t.true(m not in body, f"{fmt}: {m!r} in the published figures")
    j = published(t, NOV[0]).json
    for r in j["countries"] + j["consulates"] + [j["total"]]:
        t.true(set(r) <= allowed, f"unexpected keys {set(r) - allowed}")
        t.true(r.get("code") is None or (len(r["code"]) <= 8 and r["code"].replace("-", "").isalnum()), r.get("code"))


def test_csv_is_the_json(t):
    seed(t)
    r = published(t, NOV[0], "csv")
    t.status(r, 200, None, "CSV")
    t.true(r.header("Content-Type").startswith("text/csv"), r.header("Content-Type"))
    t.true('filename="wasl-published-2026-11.csv"' in r.header("Content-Disposition"), r.header("Content-Disposition"))
    rows = list(csv.DictReader(io.StringIO(r.body)))
    j = published(t, NOV[0]).json
    want = [("total", "all", j["total"])] + [("country", x["code"] or "", x) for x in j["countries"]] + \
           [("consulate", x["code"] or "", x) for x in j["consulates"]]
    t.eq([(x["level"], x["code"]) for x in rows], [(a, b) for a, b, _ in want], "the same rows in the same order")
    for x, (_, _, o) in zip(rows, want):
        t.eq(x["month"], "2026-11", "month")
        for f in j["figures"]:
            cell = x[f]
            if f in o["suppressed"]:
                t.eq(cell, "c", f"{x['code']} {f}: withheld is c")
            elif o.get(f) is None:
                t.eq(cell, "", f"{x['code']} {f}: nothing to show is empty")
            else:
                t.true(abs(float(cell) - o[f]) < 0.00005, f"{x['code']} {f}: {cell} vs {o[f]}")


def test_whole_months_only(t):
    now = datetime.now(timezone.utc)
    current = f"{now.year:04d}-{now.month:02d}"
    r = t.client().get(f"/api/v1/public/figures?month={current}")
    t.status(r, 400, "stats.month_not_over", "the month in progress")
    t.eq(r.json["error"]["field"], "month", "field named")
    t.status(t.client().get("/api/v1/public/figures?month=2999-01"), 400, "stats.month_not_over", "a month to come")
    for bad in ("2026-13", "2026-1", "26-11", "2026-11x", "abcd-ef", "1999-12"):
        t.status(t.client().get(f"/api/v1/public/figures?month={bad}"), 400, "stats.invalid_month", bad)
    t.status(t.client().get("/api/v1/public/figures?month=2026-11&format=xml"), 400, "stats.invalid_format", "xml")
    r = t.client().get("/api/v1/public/figures")
    t.status(r, 200, None, "no month: the last whole one")
    last = (now.year * 12 + now.month - 2)
    t.true(r.json["month"] in (f"{last // 12:04d}-{last % 12 + 1:02d}", current), r.json["month"])


def test_cacheable(t):
    seed(t)
    r = published(t, NOV[0])
    etag = r.header("ETag")
    t.true(etag and etag.startswith('"'), f"an ETag: {etag}")
    t.eq(r.header("Cache-Control"), "public, max-age=600", "clients may keep it (publish.cache_seconds)")
    t.eq(r.header("Access-Control-Allow-Origin"), "*", "open data: readable from any site")
    again = published(t, NOV[0], headers={"If-None-Match": etag})
    t.eq((again.status, again.body), (304, ""), "not modified")
    t.eq(published(t, OCT[0], headers={"If-None-Match": etag}).status, 200, "another month, another tag")


def test_rate_limited_last(t):
    """The portal's limiter per address: past publish.per_hour, 429 with
    Retry-After (run last: it spends this address's allowance)."""
    c = t.client()
    for i in range(PER_HOUR + 1):
        r = c.get(f"/api/v1/public/figures?month={OCT[0]}")
        if r.status == 429:
            break
    t.status(r, 429, "cases.too_many_attempts", f"after {i + 1} requests")
    t.true(int(r.header("Retry-After")) > 0, "Retry-After")
    t.true(i + 1 <= PER_HOUR + 1, "within the allowance plus one")
