"""Staffing (GET /api/v1/staff and `wasl staff`): the textbook interval
(100 calls in 30 minutes, 180 s each, 80 % within 20 s) needs 14 agents,
20 to schedule with 30 % shrinkage; Erlang A with patience; inputs out of
range are refused naming the field; agents may not ask."""
import json

SQLITE_ONLY = True  # no store involved


def test_staff_route(t):
    s = t.login("supervisor")
    r = s.get("/api/v1/staff?calls=100&interval=30m&aht=180&target=20&sl=80&shrinkage=30")
    t.status(r, 200, None, "the textbook question")
    t.eq(r.json["model"], "erlang_c", "Erlang C without patience")
    t.eq((r.json["needed"]["agents"], r.json["needed"]["rostered"]), (14, 20), "14 agents, 20 to schedule")
    t.true(abs(r.json["needed"]["service_level"] - 0.88835) < 1e-4, f"88.8 % within 20 s: {r.json['needed']}")
    t.eq([x["agents"] for x in r.json["around"]], [12, 13, 14, 15, 16], "two fewer to two more")
    t.true(r.json["around"][1]["service_level"] < 0.8, "13 agents miss the target")
    r = s.get("/api/v1/staff?calls=100&patience=120&abandon=5")
    t.status(r, 200, None, "Erlang A")
    t.eq(r.json["model"], "erlang_a", "with patience")
    t.true(r.json["needed"]["abandon"] <= 0.05 and r.json["needed"]["service_level"] >= 0.8, f"{r.json['needed']}")
    for q, field in (("", "calls"), ("calls=100&sl=100", "sl"), ("calls=100&interval=30x", "interval"),
                     ("calls=abc", "calls"), ("calls=100&occupancy=0", "occupancy"), ("calls=100&patience=-5", "patience")):
        r = s.get("/api/v1/staff?" + q)
        t.status(r, 400, None, q)
        t.eq(r.json["error"].get("field"), field, f"{q} names {field}")
    t.status(t.login("agent").get("/api/v1/staff?calls=100"), 403, None, "agents may not ask")


def test_staff_cli(t):
    r = t.srv.cli("staff", "--calls", "100", "--shrinkage", "30", "--json")
    t.eq(r.returncode, 0, r.stderr)
    out = json.loads(r.stdout)
    t.eq((out["result"]["agents"], out["result"]["rostered"]), (14, 20), "the same answer from the CLI")
    r = t.srv.cli("staff", "--calls", "100")
    t.true("> " in r.stdout and "14 agents on the phones" in r.stdout, r.stdout)
    r = t.srv.cli("staff", "--calls", "100", "--sl", "120")
    t.true(r.returncode != 0 and "sl (service-level target)" in r.stderr, f"refused: {r.stderr}")
