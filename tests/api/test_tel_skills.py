"""Agents' skills with the telephony on: the services an administrator
gives an agent are those of the queues plan (data/tel/queues.json), which
the form offers (plan_services); a name the plan does not have is refused
with the list it has. The status shows each agent's skills before they log
in (their account's) and after (the distributor's)."""
import os

from harness import telephony_settings

SQLITE_ONLY = True  # the store's part is in test_tel (both stores)


_rtp = 12000 + 200 * (os.getpid() % 100)
SETTINGS = telephony_settings(_rtp)


def test_services_of_the_plan(t):
    a = t.login("admin")
    uid = {u["login"]: u for u in a.get("/api/v1/users").json["users"]}["agent"]["id"]
    url = f"/api/v1/users/{uid}/sip"
    cur = a.get(url).json
    t.eq(cur["plan_services"], ["general", "dossier"], "the form is offered the plan's services")
    t.eq(cur["services"], None, "the demo agent takes every service")
    r = a.put(url, {"sip_user": cur["sip_user"], "languages": "fr", "services": ["general", "complaint"]})
    t.status(r, 400, "tel.invalid_services", "a service the plan does not have")
    t.eq(r.json["error"].get("field"), "services", "the field is named")
    t.true("general, dossier" in r.json["error"]["message"], f"the plan's services are listed: {r.json['error']['message']}")
    r = a.put(url, {"sip_user": cur["sip_user"], "languages": "fr:4 ar:2", "services": ["dossier"]})
    t.status(r, 200, None, "a service of the plan")

    sup = t.login("supervisor")
    agent = t.login("agent")
    t.status(agent.put("/api/v1/me/state", {"state": "paused", "reason": "break"}), 200, None, "the agent logs in, paused")
    row = next(x for x in sup.get("/api/v1/tel/status").json["agents"] if x["user_id"] == uid)
    t.eq(row["skills"], {"proficiency": {"fr": 4, "ar": 2}, "services": ["dossier"]}, "the distributor's skills")
    # changed while logged in: the status shows the new ones as soon as the
    # change is answered (the telephony applied them before its snapshot)
    a.put(url, {"sip_user": cur["sip_user"], "languages": "ar:5", "services": None})
    row = next(x for x in sup.get("/api/v1/tel/status").json["agents"] if x["user_id"] == uid)
    t.eq(row["skills"], {"proficiency": {"ar": 5}, "services": ["general", "dossier"]}, "the new skills, at once")
    t.eq(row["state"], "paused", "the agent stays logged in")
