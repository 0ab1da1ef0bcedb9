"""Coaching over HTTP, on both stores: an agent's weeks (review average, AHT,
rings not answered, briefings read late or not yet) computed from events,
reviews and a real amendment written for known weeks and checked against
values worked out by hand; a session planned with reviews and goals, done
with sealed notes, its follow-up telling each measurable goal met or not
from the figures since; listen/whisper sessions of the agent's calls listed
and attached; the agent's view (no private notes) and acknowledgement,
audited and once; roles and refusals."""
import json
import subprocess
from datetime import datetime, timezone

from test_briefings import amend, user

US = 1000000


def sql(t, text):
    shell = ["sqlite3", "-cmd", ".timeout 10000", t.srv.db] if t.srv.backend == "sqlite" else \
        ["psql", "-q", "-At", "-v", "ON_ERROR_STOP=1", t.srv.db]
    out = subprocess.run(shell, input=text.encode(), check=True, capture_output=True).stdout
    return out.decode(errors="replace")


def lit(v):
    return "NULL" if v is None else str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'"


def insert(t, table, cols, rows):
    if rows:
        sql(t, f"INSERT INTO {table} ({', '.join(cols)}) VALUES " +
            ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows) + ";")


def us(iso):
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * US


def iso(t_us):
    return datetime.fromtimestamp(t_us // US, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


STATE = {}


def setup(t):
    """Karim, an agent of the French queue, and his known weeks, once per file."""
    if STATE:
        return STATE
    a = t.login("admin")
    karim, kc = user(t, a, "karim", "agent", "fr")
    other, oc = user(t, a, "omar", "agent", "de")
    sup = t.login("supervisor")
    weeks = sup.get(f"/api/v1/coaching/agents/{karim}/progress").json["weeks"]
    t.eq(len(weeks), 12, "twelve weeks by default")
    w9, w10 = us(weeks[9]["from"]), us(weeks[10]["from"])
    t.eq(w10 - w9, 7 * 86400 * US, "weeks of seven days (Casablanca has no summer time any more)")
    ev = []
    call = [900]

    def handled(t0, talk, wrap, agent=karim):
        call[0] += 1
        c = call[0]
        ev.extend([
            (t0, "call.arrived", c, None, None, {"did": "+33800100200", "country": "FR", "sip_call_id": f"k{c}"}),
            (t0 + 1 * US, "queue.joined", c, None, "fr", {"service": "general", "position": 1}),
            (t0 + 5 * US, "call.answered", c, agent, "fr", {"waited_ms": 4000}),
            (t0 + 5 * US, "agent.state", c, agent, None, {"state": "busy", "reason": "", "by": 0}),
            (t0 + (5 + talk) * US, "call.ended", c, agent, None,
             {"outcome": "answered", "path": "", "waited_ms": 4000, "talked_ms": talk * 1000}),
            (t0 + (5 + talk) * US, "agent.state", c, agent, None, {"state": "wrap_up", "reason": "", "by": 0}),
            (t0 + (5 + talk + wrap) * US, "agent.state", None, agent, None, {"state": "available", "reason": "", "by": 0}),
        ])
        return c

    def ring(t0, agent=karim):
        call[0] += 1
        ev.append((t0, "call.not_answered", call[0], agent, "fr", {"why": "timeout", "ring_ms": 15000}))

    # week 9: two calls, 100 + 20 s and 200 + 40 s: AHT (120 + 240) / 2 = 180 s; one ring let go
    c1 = handled(w9 + 86400 * US, 100, 20)
    handled(w9 + 86400 * US + 3600 * US, 200, 40)
    ring(w9 + 2 * 86400 * US)
    # week 10: one call of 400 s, no wrap-up: AHT 400 s; two rings
    c3 = handled(w10 + 86400 * US, 400, 0)
    ring(w10 + 86400 * US + 7200 * US)
    ring(w10 + 86400 * US + 9000 * US)
    # a supervisor listens to c3, whispers, leaves; another listens to omar's call
    s_at = w10 + 86400 * US + 60 * US
    supid = sup.get("/api/v1/session").json["user"]["id"]
    ev.extend([
        (s_at, "call.supervised", c3, karim, None, {"mode": "listen", "change": "joined", "supervisor": supid}),
        (s_at + 10 * US, "call.supervised", c3, karim, None, {"mode": "whisper", "change": "changed", "supervisor": supid}),
        (s_at + 60 * US, "call.supervised", c3, karim, None, {"mode": "off", "change": "stopped", "supervisor": supid}),
    ])
    c_omar = handled(w10 + 2 * 86400 * US, 50, 0, agent=other)
    ev.append((w10 + 2 * 86400 * US + 20 * US, "call.supervised", c_omar, other, None,
               {"mode": "listen", "change": "joined", "supervisor": supid}))
    insert(t, "events", ["at", "kind", "call_id", "agent", "queue", "data"],
           [(a_, k, c, g, q, json.dumps(d)) for a_, k, c, g, q, d in ev])
    # reviews by the call's start: week 9 70 % and 90 % (and a calibration at 10 %, kept from the
    # agent and from his average), week 10 60 %
    cols = ["call_id", "call_started_at", "agent_user", "reviewer_user", "form_id", "form_version", "answers", "score_x10",
            "raw_x10", "failed", "calibration", "created_at", "updated_at"]
    insert(t, "quality_reviews", cols, [
        (c1, w9 + 86400 * US, karim, supid, "consular-call", 1, "{}", 700, 700, 0, 0, w9, w9),
        (c1 + 1, w9 + 86400 * US, karim, supid, "consular-call", 1, "{}", 900, 900, 0, 0, w9, w9),
        (c1, w9 + 86400 * US, karim, 1, "consular-call", 1, "{}", 100, 100, 0, 1, w9, w9),
        (c3, w10 + 86400 * US, karim, supid, "consular-call", 1, "{}", 600, 600, 0, 0, w10, w10),
    ])
    reviews = sorted(r["id"] for r in sup.get(f"/api/v1/quality/reviews?agent={karim}").json["items"] if not r["calibration"])
    t.eq(len(reviews), 3, "three reviews of karim, calibration aside")
    STATE.update(karim=karim, kc=kc, other=other, oc=oc, sup=sup, supid=supid, weeks=weeks, w9=w9, w10=w10, reviews=reviews,
                 c3=c3)
    return STATE


def test_progress_by_week_from_the_log(t):
    s = setup(t)
    p = s["kc"].get(f"/api/v1/coaching/agents/{s['karim']}/progress").json
    w = p["weeks"]
    t.eq((w[9]["handled"], w[9]["aht_s"], w[9]["rings_unanswered"]), (2, 180.0, 1), f"week 9 calls: {w[9]}")
    t.eq((w[9]["reviews"], w[9]["review_avg"]), (2, 80.0), "week 9 reviews: (70 + 90) / 2, the calibration left out")
    t.eq((w[10]["handled"], w[10]["aht_s"], w[10]["rings_unanswered"], w[10]["review_avg"]), (1, 400.0, 2, 60.0),
         f"week 10: {w[10]}")
    t.eq(w[10]["rna_week"], 2.0, "two rings in a week of seven days")
    t.eq((w[8]["handled"], w[8]["aht_s"], w[8]["review_avg"], w[8]["csat"]), (0, None, None, None), "a week without calls")
    t.eq(w[9]["queue_aht_s"], 180.0, "karim alone in the French queue that week: the queue's AHT is his")


def test_briefings_late_and_pending_on_the_progress(t):
    s = setup(t)
    r, version = amend(t, "passport-adult", "fr", lambda v: v.update(body=v["body"] + "\n\nCoaching.\n"))
    t.eq(r.status, 200, f"amendment published: {r}")
    url = f"/api/v1/coaching/agents/{s['karim']}/progress?weeks=1"
    cur = s["sup"].get(url).json["weeks"][0]
    t.eq((cur["briefings"], cur["briefings_pending"], cur["briefings_late"]), (1, 1, 0), f"one briefing pending: {cur}")
    b = s["kc"].get("/api/v1/me/briefings").json["briefings"][0]
    t.status(s["kc"].post(f"/api/v1/me/briefings/{b['id']}/acknowledge", {"answers": []}), 200, None, "karim reads it")
    cur = s["sup"].get(url).json["weeks"][0]
    t.eq((cur["briefings_pending"], cur["briefings_late"]), (0, 0), "read at once: neither pending nor late")
    # read three days after publication: late (more than two days)
    sql(t, f"UPDATE briefing_recipients SET acked_at = acked_at + {3 * 86400 * US} WHERE user_id = {s['karim']};")
    cur = s["sup"].get(url).json["weeks"][0]
    t.eq(cur["briefings_late"], 1, "read three days later: late")


def test_session_planned_done_followed_up_acknowledged(t):
    s = setup(t)
    sup, kc = s["sup"], s["kc"]
    body = {"agent": s["karim"], "planned_at": iso(s["w9"]), "topic": "Temps de traitement",
            "reviews": s["reviews"][:2], "period_from": iso(s["w9"] - 7 * 86400 * US), "period_to": iso(s["w9"]),
            "goals": [{"text": "Clore plus vite", "target": "aht <= 200 s"}, {"target": "review >= 85 %"},
                      {"target": "rna <= 1 /week"}, {"target": "csat >= 4"}, {"text": "Lire les notes du guide"}]}
    r = sup.post("/api/v1/coaching/sessions", body)
    t.status(r, 201, None, "planned")
    sid = r.json["id"]
    t.eq(r.json["state"], "planned", "planned first")
    t.eq([g.get("metric") for g in r.json["goals"]], ["aht", "review", "rna", "csat", None], "goals parsed")
    t.status(kc.post(f"/api/v1/coaching/sessions/{sid}/acknowledge", {}), 409, "coach.not_done", "nothing to acknowledge yet")
    # done, the follow-up a week later: the figures of week 9
    r = sup.post(f"/api/v1/coaching/sessions/{sid}/done",
                 {"notes": "Karim a bien accueilli", "private_notes": "Parle de sa mère malade", "follow_up_at": iso(s["w10"])})
    t.status(r, 200, None, "done")
    g = {x.get("metric"): x for x in r.json["goals"]}
    t.eq((g["aht"]["value"], g["aht"]["met"]), (180.0, True), "AHT 180 s <= 200: met")
    t.eq((g["review"]["value"], g["review"]["met"]), (80.0, False), "reviews 80 % < 85: not met")
    t.eq((g["rna"]["value"], g["rna"]["met"]), (1.0, True), "one ring in the week <= 1: met")
    t.eq((g["csat"]["value"], g["csat"]["met"]), (None, None), "no rating: nothing to tell")
    t.true(r.json["follow_up"]["complete"], "the follow-up date is past")
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/done", {"follow_up_at": iso(s["w10"])}), 409, "coach.already_done",
             "done once")
    # the notes are sealed at rest
    raw = sql(t, f"SELECT notes_enc FROM coaching_sessions WHERE id = {sid};")
    t.true(raw and "accueilli" not in raw, "notes not in clear in the store")
    s["done_session"] = sid
    # the agent: his session, the notes, not the private ones
    mine = kc.get(f"/api/v1/coaching/sessions/{sid}").json
    t.eq(mine["notes"], "Karim a bien accueilli", "the agent reads the notes")
    t.true("private_notes" not in mine, "the private notes are kept from the agent")
    t.eq(sup.get(f"/api/v1/coaching/sessions/{sid}").json["private_notes"], "Parle de sa mère malade", "supervisors read them")
    t.status(s["oc"].get(f"/api/v1/coaching/sessions/{sid}"), 404, "coach.not_found", "another agent: not found")
    t.status(s["oc"].post(f"/api/v1/coaching/sessions/{sid}/acknowledge", {}), 404, "coach.not_found", "nor acknowledged")
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/acknowledge", {}), 403, "coach.not_yours", "the agent acknowledges")
    r = kc.post(f"/api/v1/coaching/sessions/{sid}/acknowledge", {"comment": "Merci"})
    t.status(r, 200, None, "acknowledged")
    t.eq(r.json["agent_comment"], "Merci", "with the comment")
    t.status(kc.post(f"/api/v1/coaching/sessions/{sid}/acknowledge", {}), 409, "coach.already_acknowledged", "once")
    audit = t.login("admin").get("/api/v1/audit?limit=200").json["entries"]
    acts = {e["action"] for e in audit if e["object"] == f"coaching:{sid}"}
    t.eq(acts, {"coaching.planned", "coaching.done", "coaching.acknowledged"}, "each step audited")
    # the progress draws the goals' thresholds
    goals = kc.get(f"/api/v1/coaching/agents/{s['karim']}/progress").json["goals"]
    t.eq(sorted((x["metric"], x["target"]) for x in goals if x["session"] == sid),
         [("aht", 200.0), ("csat", 4.0), ("review", 85.0), ("rna", 1.0)], "the thresholds to draw")


def test_supervisions_listed_and_attached(t):
    s = setup(t)
    sup = s["sup"]
    r = sup.post("/api/v1/coaching/sessions", {"agent": s["karim"], "planned_at": iso(s["w10"] + 3 * 86400 * US), "topic": "Écoute"})
    t.status(r, 201, None, "planned")
    sid = r.json["id"]
    items = sup.get(f"/api/v1/coaching/agents/{s['karim']}/supervisions").json["items"]
    t.eq(len(items), 1, f"one supervision of karim's calls: {items}")
    x = items[0]
    t.eq((x["call"], x["modes"], x["session"]), (s["c3"], ["listen", "whisper"], 0), "listen then whisper, not attached")
    t.true(x["ended_at"] is not None, "it ended")
    r = sup.post(f"/api/v1/coaching/sessions/{sid}/supervisions", {"event": x["event"]})
    t.status(r, 200, None, "attached")
    t.eq([y["call"] for y in r.json["supervisions"]], [s["c3"]], "on the session")
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/supervisions", {"event": x["event"]}), 409, "coach.already_attached",
             "once")
    omar = sup.get(f"/api/v1/coaching/agents/{s['other']}/supervisions").json["items"]
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/supervisions", {"event": omar[0]["event"]}), 400,
             "coach.invalid_supervision", "another agent's supervision")
    t.eq(sup.get(f"/api/v1/coaching/agents/{s['karim']}/supervisions").json["items"][0]["session"], sid, "listed as attached")
    t.status(s["kc"].get(f"/api/v1/coaching/agents/{s['karim']}/supervisions"), 403, None, "supervisors only")


def test_refusals_and_roles(t):
    s = setup(t)
    sup, kc = s["sup"], s["kc"]
    base = {"agent": s["karim"], "planned_at": iso(s["w10"]), "topic": "x"}
    for goal, why in ((("aht <= abc"), "not a number"), ("speed > 3", "unknown metric"), ("aht = 3", "no comparison"),
                      ("review >= 120", "out of range"), ("aht < 300 %", "wrong unit")):
        r = sup.post("/api/v1/coaching/sessions", dict(base, goals=[{"target": "csat >= 4"}, {"target": goal}]))
        t.status(r, 400, "coach.invalid_goal", why)
        t.eq(r.json["error"].get("field"), "goals[1]", f"{why}: the goal named")
    t.status(sup.post("/api/v1/coaching/sessions", dict(base, goals=[{"target": "csat >= 4"}] * 9)), 400, "coach.invalid_goal",
             "nine goals")
    t.status(sup.post("/api/v1/coaching/sessions", dict(base, agent=s["supid"])), 400, "coach.invalid_agent",
             "a supervisor is not coached")
    t.status(sup.post("/api/v1/coaching/sessions", dict(base, reviews=[999999])), 400, "coach.invalid_review", "no such review")
    t.status(sup.post("/api/v1/coaching/sessions", dict(base, agent=s["other"], reviews=s["reviews"][:1])), 400,
             "coach.invalid_review", "karim's review for omar")
    t.status(sup.post("/api/v1/coaching/sessions", dict(base, topic="")), 400, "coach.invalid_topic", "a topic")
    r = sup.post("/api/v1/coaching/sessions", base)
    sid = r.json["id"]
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/done", {"follow_up_at": iso(s["w10"] - US)}), 400,
             "coach.invalid_date", "a follow-up before the session")
    t.status(sup.post(f"/api/v1/coaching/sessions/{sid}/done", {"follow_up_at": iso(s["w10"] + 93 * 86400 * US)}), 400,
             "coach.invalid_date", "more than 92 days later")
    t.status(kc.post("/api/v1/coaching/sessions", base), 403, None, "an agent does not plan")
    t.status(kc.post(f"/api/v1/coaching/sessions/{sid}/done", {"follow_up_at": iso(s["w10"] + US)}), 403, None,
             "nor records done")
    t.status(kc.get(f"/api/v1/coaching/agents/{s['other']}/progress"), 403, "coach.forbidden", "another's progress")
    t.status(kc.get(f"/api/v1/coaching/sessions?agent={s['other']}"), 403, "coach.forbidden", "another's sessions")
    t.true(all(x["agent"]["id"] == s["karim"] for x in kc.get("/api/v1/coaching/sessions").json["items"]),
           "an agent lists his own")
    t.status(sup.get(f"/api/v1/coaching/agents/{s['karim']}/progress?weeks=27"), 400, None, "at most 26 weeks")
    t.status(t.login("editor").get("/api/v1/coaching/sessions"), 403, None, "editors do not coach")


def test_notes_follow_the_key_rotation(t):
    """wasl keys rotate re-seals the notes with the new key: still readable after it."""
    s = setup(t)
    sid = s.get("done_session")
    if not sid:
        raise AssertionError("needs the session of session_planned_done_followed_up_acknowledged")
    q = f"SELECT private_enc FROM coaching_sessions WHERE id = {sid};"
    before = sql(t, q)
    t.srv.stop()
    r = t.srv.cli("keys", "rotate")
    t.eq(r.returncode, 0, f"keys rotate: {r.stderr}")
    t.srv.init = False
    t.srv.start()
    t.true(sql(t, q) != before, "the private notes re-sealed")
    got = t.login("supervisor").get(f"/api/v1/coaching/sessions/{sid}").json
    t.eq((got["notes"], got["private_notes"]), ("Karim a bien accueilli", "Parle de sa mère malade"), "readable with the new key")
