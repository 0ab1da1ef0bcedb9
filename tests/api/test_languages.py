"""An eighth language added as data only (tests/lang: Tamazight, zgh, three
letters, no Snowball stemmer): the server built from this repo's code, given
a copy of data/ and web/ with the language's prompts, a few UI strings, one
guide article and a few case messages, lists it, serves its UI strings,
gives it a queue, finds its article, and falls back visibly where a text is
not translated. The IVR's menu for it is in tests/unit/ivr/test_ivr_lang.c."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lang"))
import overlay  # noqa: E402
from harness import free_port  # noqa: E402

SQLITE_ONLY = True
FOLDER = tempfile.mkdtemp(prefix="wasl-lang-")
atexit.register(shutil.rmtree, FOLDER, True)
DATA, WEB = overlay.build(FOLDER)


# SIP on (on a port of its own) so the distributor runs and has its queues.
SETTINGS = {"paths.data": DATA, "http.web_root": WEB, "cases.demo_cases": "0", "sip.enabled": "true",
            "sip.port": str(free_port()), "sip.rtp_min": "47000", "sip.rtp_max": "47100"}


def test_listed_with_its_name_and_direction(t):
    r = t.client().get("/api/v1/languages")
    t.status(r, 200, None, "the languages")
    codes = [l["code"] for l in r.json["languages"]]
    t.eq(codes, ["ar", "fr", "es", "it", "nl", "de", "en", "zgh"], "the shipped seven, then the added one")
    zgh = r.json["languages"][-1]
    t.eq((zgh["name"], zgh["dir"], zgh["stemmed"]), ("ⵜⴰⵎⴰⵣⵉⵖⵜ", "ltr", False), "Tifinagh, left to right, unstemmed")
    t.eq(r.json["languages"][0]["dir"], "rtl", "Arabic right to left")
    t.eq(r.json["fallback"], "en", "the fallback language")


def test_ui_strings_served_and_checked(t):
    r = t.client().get("/i18n/zgh.json")
    t.status(r, 200, None, "the UI strings of the language")
    t.eq(r.json["login.title"], "ⵜⵉⵏⵏⵓⵜ (test)", "its own text")
    # A user may choose it; a code that is not listed stays refused.
    a = t.login("agent")
    t.status(a.patch("/api/v1/me", {"language": "zgh"}), 200, None, "agent switches to zgh")
    t.eq(a.get("/api/v1/session").json["user"]["language"], "zgh", "kept")
    t.status(a.patch("/api/v1/me", {"language": "pt"}), 400, "auth.invalid_language", "pt is not listed")
    # The translations check follows languages.json: the test language's
    # untranslated keys are listed, not passed over.
    p = subprocess.run(["node", os.path.join(TOP, "tests", "browser", "i18n_check.mjs"), os.path.join(WEB, "i18n"),
                        os.path.join(DATA, "languages.json")], stdout=subprocess.PIPE, text=True, timeout=60)
    t.true(p.returncode == 1 and "not ok" in p.stdout and "zgh: every key of en.json is present" in p.stdout,
           "i18n_check reports zgh's missing keys")
    t.true("missing: login.submit" in p.stdout or "# missing:" in p.stdout, "and names them")


def test_queue_for_the_language(t):
    s = t.login("supervisor").get("/api/v1/tel/status")
    t.status(s, 200, None, "live state")
    t.true("zgh" in s.json["queues"] and "zgh.dossier" in s.json["queues"], f"zgh queues: {sorted(s.json['queues'])}")
    t.eq(len(s.json["queues"]), 8 * 2, "a queue per language and service (general, dossier)")


def test_guide_search_finds_the_article_unstemmed(t):
    a = t.login("agent")
    for word in ("ⵜⴰⵙⵏⵓⵏⵜ", "ⴰⵎⵢⴰⵡⴰⴹ"):
        r = a.get(f"/api/v1/guide/search?q={urllib.parse.quote(word)}&lang=zgh&log=0")
        t.status(r, 200, None, f"search {word}")
        hits = [(h["slug"], h["lang"]) for h in r.json["hits"]]
        t.true(hits and hits[0] == ("complaint", "zgh"), f"{word}: the zgh article first: {hits[:3]}")
    # The other languages still stem: a French plural finds its singular.
    r = a.get("/api/v1/guide/search?q=passeports&lang=fr&log=0")
    t.true(any(h["lang"] == "fr" for h in r.json["hits"]), "French still stemmed")
    # The article's other languages are untouched; zgh is one more text.
    v = a.get("/api/v1/guide/articles/complaint?lang=zgh")
    t.status(v, 200, None, "the article in zgh")
    t.eq(v.json.get("fallback", False), False, "its own text, not a fallback")


def test_missing_translations_fall_back_visibly(t):
    c = t.client()
    body = {"type": "complaint", "category": "fees-appointments", "language": "zgh", "country": "FR",
            "consulate": "FR-LYO", "subject": "test", "description": "test filing in the test language",
            "fields": {"about": "appointments"}, "citizen": {"name": "Test", "email": "test@example.org"}}
    r = c.post("/api/v1/portal/cases", body)
    t.status(r, 201, None, "filed in zgh")
    ack = r.json["acknowledgement"]
    # The acknowledgement's text is English (no zgh text), with the one zgh
    # message there is: never empty, never a bare key.
    t.true("We have received your" in ack and "ⵜⴰⴳⵓⵔⵉ (test)" in ack, f"English text, zgh type name: {ack!r}")
    log = t.srv.log()
    t.true("messages in zgh lack 22 of 23 texts" in log, "the log says which case messages are missing")
    t.true("dispositions have no name in zgh" in log, "and which disposition names")
    t.true("countries.csv has no name_zgh column" in log, "and that countries are named in the fallback")
    # Names without a zgh column come in the fallback language, not empty.
    n = {x["iso2"]: x["name"] for x in c.get("/api/v1/nationalities").json["nationalities"]}
    t.eq(n["DE"]["zgh"], n["DE"]["en"], "a nationality's zgh name is the English one")
    co = {x["iso2"]: x["name"] for x in c.get("/api/v1/countries").json["countries"]}
    t.eq(co["FR"]["zgh"], co["FR"]["en"], "a country's zgh name is the English one")
    d = t.login("agent").get("/api/v1/desk/dispositions?lang=zgh")
    t.status(d, 200, None, "dispositions in zgh")
    t.true(all(x["name"] for x in d.json["dispositions"]), "every disposition named")
