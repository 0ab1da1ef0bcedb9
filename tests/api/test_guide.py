"""The consular guide over HTTP: reading, fallback, the amendment workflow,
effective dates, translations, diffs, search input handling, synonyms, gaps,
entry rules, import/export, and (PostgreSQL) a second node seeing changes."""
import filecmp
import os
import time
import urllib.parse

from harness import Server

SETTINGS = {"guide.refresh": "1s"}


def draft(**over):
    v = {"title": "Passeport biométrique (adultes)", "summary": "Nouveau tarif.", "body": "## Étapes\n\n1. Prendre rendez-vous.\n",
         "documents": ["CNIE", "2 photos"], "fees": [{"amount": 900, "currency": "MAD", "label": "Passeport adulte"}],
         "processing_time": "Le consulat l'indique", "where_to_apply": "Tout consulat", "source": "consulat.ma",
         "checked_on": "2026-11-20", "confidence": "S"}
    v.update(over)
    return v


def search(c, q, lang="fr", **kw):
    extra = "".join(f"&{k}={v}" for k, v in kw.items())
    return c.get(f"/api/v1/guide/search?q={urllib.parse.quote(q)}&lang={lang}{extra}")


def search_until(c, q, ok, lang="fr", seconds=10):
    """The index is rebuilt on its own thread after a change: searches answer
    from the old one meanwhile, so a test waits for the new one."""
    deadline = time.time() + seconds
    while True:
        r = search(c, q, lang=lang, log=0).json
        if ok(r["hits"]) or time.time() > deadline:
            return r["hits"]
        time.sleep(0.05)


def french_only(t, slug, title):
    """Publishes a new article in French alone (every shipped article has all
    seven languages), for the checks of what a missing translation does."""
    e = t.login("editor")
    s = t.login("supervisor")
    body = {"slug": slug, "category": "general", "audience": "both", "source_language": "fr",
            "keywords": {"fr": [title.lower()]}, "version": draft(title=title)}
    r = e.post("/api/v1/guide/articles", body)
    t.eq(r.status, 201, f"article {slug} created: {r}")
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    t.eq(s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {}).status, 200, f"article {slug} published")


def test_read_article_in_languages(t):
    c = t.login("agent")
    r = c.get("/api/v1/guide/articles/passport-adult?lang=ar")
    t.eq(r.status, 200, "read")
    t.eq(r.json["text"]["lang"], "ar", "Arabic text")
    t.eq(r.json["fallback"], False, "not a fallback")
    t.true("<h2>" in r.json["text"]["body_html"], "Markdown rendered")
    t.true(r.json["text"]["fees"][0]["amount"] == 860 and r.json["text"]["fees"][0]["currency"] == "MAD", "fees")
    t.true(len(r.json["text"]["documents"]) >= 3, "documents checklist")
    # An article published in French only: asked in German, the agent's language (fr) is shown, marked.
    french_only(t, "fallback-only-fr", "Certificat de quokka")
    r = c.get("/api/v1/guide/articles/fallback-only-fr?lang=de")
    t.eq((r.status, r.json["text"]["lang"], r.json["fallback"], r.json["asked_lang"]), (200, "fr", True, "de"),
         "visible fallback")
    t.status(c.get("/api/v1/guide/articles/no-such-article?lang=fr"), 404, "guide.article_not_found", "unknown slug")
    t.status(c.get("/api/v1/guide/articles/passport-adult?lang=pt"), 400, "guide.invalid_language", "unknown language")
    t.status(c.get("/api/v1/guide/articles/passport-adult?lang=fr&at=2026-02-30"), 400, "guide.invalid_date", "bad date")


def test_list_and_translation_table(t):
    c = t.login("editor")
    arts = c.get("/api/v1/guide/articles?lang=en").json["articles"]
    t.true(len(arts) >= 30, f"{len(arts)} articles")
    by = {a["slug"]: a for a in arts}
    t.eq(sorted(by["passport-adult"]["languages"]), sorted(["ar", "fr", "es", "it", "nl", "de", "en"]), "seven languages")
    # A partly translated article lists exactly the languages it has files for (these grow as
    # translations land, so they are read from data/guide rather than written down here).
    fb = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      "data", "guide", "family-booklet")
    t.eq(sorted(by["family-booklet"]["languages"]), sorted(f[:-3] for f in os.listdir(fb) if f.endswith(".md")),
         "family-booklet: the languages of its files")
    t.eq(by["passport-adult"]["title_lang"], "en", "title in the asked language")
    only = c.get("/api/v1/guide/articles?category=passport").json["articles"]
    t.true(only and all(a["category"] == "passport" for a in only), "category filter")
    t.status(c.get("/api/v1/guide/articles?category=nope"), 400, None, "unknown category")


def test_create_validation_and_roles(t):
    e = t.login("editor")
    a = t.login("agent")
    body = {"slug": "test-article", "category": "general", "audience": "both", "source_language": "fr",
            "keywords": {"fr": ["essai"]}, "version": draft(title="Article d'essai")}
    t.status(a.post("/api/v1/guide/articles", body), 403, "auth.forbidden", "agents do not write the guide")
    for bad, field in [({"slug": "Bad Slug"}, "slug"), ({"category": "nope"}, "category"),
                       ({"audience": "everyone"}, "audience"),
                       ({"version": draft(body="<script>alert(1)</script>")}, "body"),
                       ({"version": draft(fees=[{"amount": -1, "currency": "MAD", "label": "x"}])}, "fees"),
                       ({"version": draft(confidence="X")}, "confidence"),
                       ({"version": draft(checked_on="yesterday")}, "checked_on"),
                       ({"version": draft(title="")}, "title"),
                       ({"keywords": {"xx": ["a"]}}, "keywords")]:
        r = e.post("/api/v1/guide/articles", dict(body, **bad))
        t.status(r, 400, None, f"bad {field}")
        t.eq(r.json["error"].get("field"), field, f"field named for bad {field}")
    r = e.post("/api/v1/guide/articles", body)
    t.eq((r.status, r.json["status"], r.json["version"]), (201, "draft", 1), "created as a draft")
    t.status(e.post("/api/v1/guide/articles", body), 409, "guide.slug_taken", "slug taken")
    t.status(a.get("/api/v1/guide/articles/test-article?lang=fr"), 404, "guide.not_published", "drafts are not shown to agents")


def test_amendment_workflow_and_effective_dates(t):
    e = t.login("editor")
    s = t.login("supervisor")
    a = t.login("agent")
    before = a.get("/api/v1/guide/articles/passport-adult?lang=fr").json["text"]
    r = e.post("/api/v1/guide/articles/passport-adult/versions", dict(draft(), lang="fr"))
    t.status(r, 400, "guide.reason_required", "a reason is required")
    r = e.post("/api/v1/guide/articles/passport-adult/versions", dict(draft(), lang="fr", reason="New fee from 2027"))
    t.eq((r.status, r.json["status"]), (201, "draft"), "draft")
    vid = r.json["id"]
    t.eq(r.json["version"], before["version"] + 1, "next version number")
    t.status(s.post(f"/api/v1/guide/versions/{vid}/approve", {}), 409, "guide.wrong_status", "a draft is not approvable")
    t.eq(e.post(f"/api/v1/guide/versions/{vid}/submit").json["status"], "review", "submitted")
    t.true(any(v["id"] == vid for v in s.get("/api/v1/guide/review").json["versions"]), "in the review queue")
    r = e.post(f"/api/v1/guide/versions/{vid}/approve", {"effective_on": "2099-01-01"})
    t.status(r, 403, "guide.self_approval", "no self-approval")
    t.status(s.post(f"/api/v1/guide/versions/{vid}/approve", {"effective_on": "2020-01-01"}), 400, "guide.invalid_date",
             "not in the past")
    r = s.post(f"/api/v1/guide/versions/{vid}/approve", {"effective_on": "2099-01-01", "note": "ok"})
    t.eq((r.status, r.json["status"], r.json["effective_on"]), (200, "published", "2099-01-01"), "approved for later")
    now = a.get("/api/v1/guide/articles/passport-adult?lang=fr").json
    t.eq(now["text"]["version"], before["version"], "today the old text is in force")
    t.eq(now["upcoming"], {"version": before["version"] + 1, "effective_on": "2099-01-01"}, "with a notice")
    later = a.get("/api/v1/guide/articles/passport-adult?lang=fr&at=2099-01-02").json
    t.eq(later["text"]["version"], before["version"] + 1, "the new text from its date")
    t.eq(later["text"]["fees"][0]["amount"], 900, "new fee")
    t.eq(later.get("upcoming"), None, "no notice after")
    # Nothing was overwritten: every version is still there.
    versions = a.get("/api/v1/guide/articles/passport-adult/versions?lang=fr").json["versions"]
    t.eq([v["version"] for v in versions][:2], [before["version"] + 1, before["version"]], "history kept")
    # Rejection needs a note, and comes back to the author.
    r = e.post("/api/v1/guide/articles/passport-adult/versions", dict(draft(title="Brouillon"), lang="fr", reason="test"))
    vid2 = r.json["id"]
    e.post(f"/api/v1/guide/versions/{vid2}/submit")
    t.status(s.post(f"/api/v1/guide/versions/{vid2}/reject", {}), 400, None, "note required")
    r = s.post(f"/api/v1/guide/versions/{vid2}/reject", {"note": "Source manquante"})
    t.eq((r.json["status"], r.json["review_note"], r.json["reviewer"]), ("rejected", "Source manquante", "supervisor"),
         "rejected with a note")
    ad = t.login("admin")
    acts = [x["action"] for x in ad.get("/api/v1/audit?limit=30").json["entries"]]
    for want in ("guide.version_add", "guide.submit", "guide.publish", "guide.reject"):
        t.true(want in acts, f"{want} audited")


def test_translation_out_of_date(t):
    e = t.login("editor")
    s = t.login("supervisor")
    a = t.login("agent")
    t.eq(a.get("/api/v1/guide/articles/fees?lang=en").json["translation_outdated"], False, "up to date at first")
    r = e.post("/api/v1/guide/articles/fees/versions",
               dict(draft(title="Droits de chancellerie"), lang="fr", reason="Tarifs revus"))
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {})
    en = a.get("/api/v1/guide/articles/fees?lang=en").json
    t.eq((en["text"]["lang"], en["translation_outdated"], en["source_version"]), ("en", True, 2), "English is now stale")
    table = e.get("/api/v1/guide/articles").json["articles"]
    fees = [x for x in table if x["slug"] == "fees"][0]
    t.eq(fees["languages"]["en"]["outdated"], True, "the translation table shows it")
    # A source change approved for later is announced to the translation's readers.
    r = e.post("/api/v1/guide/articles/fees/versions",
               dict(draft(title="Droits de chancellerie 2099"), lang="fr", reason="Tarifs 2099"))
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {"effective_on": "2099-01-01"})
    en = a.get("/api/v1/guide/articles/fees?lang=en").json
    t.eq(en["source_upcoming"], {"lang": "fr", "version": 3, "effective_on": "2099-01-01"}, "source change announced")
    table = e.get("/api/v1/guide/articles").json["articles"]
    t.eq([x for x in table if x["slug"] == "fees"][0]["languages"]["fr"]["latest_effective_on"], "2099-01-01",
         "scheduled date in the table")
    r = e.post("/api/v1/guide/articles/fees/versions",
               dict(draft(title="Chancery fees"), lang="en", reason="Follows the French text v2"))
    t.eq(r.json["translates"], 2, "a new translation follows the source in force")
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {})
    t.eq(a.get("/api/v1/guide/articles/fees?lang=en").json["translation_outdated"], False, "up to date again")


def test_diff(t):
    e = t.login("editor")
    r = e.post("/api/v1/guide/articles/appointments/versions",
               dict(draft(title="Prendre rendez-vous", body="Ligne une\nLigne deux\nLigne trois\n"), lang="fr",
                    reason="test"))
    v1 = r.json["id"]
    r = e.post("/api/v1/guide/articles/appointments/versions",
               dict(draft(title="Prendre un rendez-vous", body="Ligne une\nLigne 2\nLigne trois\nLigne quatre\n",
                          documents=["CNIE"]), lang="fr", reason="test"))
    v2 = r.json["id"]
    d = e.get(f"/api/v1/guide/diff?from={v1}&to={v2}").json
    t.eq(d["fields"]["title"], {"old": "Prendre rendez-vous", "new": "Prendre un rendez-vous"}, "field diff")
    t.eq([(x["op"], x["line"]) for x in d["body"]],
         [("=", "Ligne une"), ("-", "Ligne deux"), ("+", "Ligne 2"), ("=", "Ligne trois"), ("+", "Ligne quatre")],
         "line diff")
    t.eq([(x["op"], x["line"]) for x in d["documents"]], [("=", "CNIE"), ("-", "2 photos")], "list diff")
    other = e.get("/api/v1/guide/articles/fees/versions").json["versions"][0]["id"]
    t.status(e.get(f"/api/v1/guide/diff?from={v1}&to={other}"), 400, "guide.diff_articles", "different articles")
    t.status(e.get(f"/api/v1/guide/diff?from={v1}"), 400, None, "both ids needed")


def test_search_input_is_text_not_syntax(t):
    c = t.login("agent")
    for q in ['passeport" OR title:x', "NEAR(passeport visa, 2)", "passeport*", "-passeport", "title:passeport",
              '"""', "((((", "^passeport", "passeport AND NOT", "*", "' OR 1=1 --", "\u200f\u202e"]:
        r = search(c, q)
        t.eq(r.status, 200, f"query {q!r} is accepted as text: {r}")
    t.true(any(h["slug"] == "passport-adult" for h in search(c, 'passeport" OR title:x').json["hits"]),
           "the words still count")
    long_q = "passeport " * 60
    r = search(c, long_q)
    t.eq((r.status, r.json["cut"]), (200, True), "overlong query cut")
    t.true("cut" in r.json["notice"], "with a clear message")
    t.status(c.get("/api/v1/guide/search?lang=fr"), 400, "request.missing_parameter", "no q")
    t.status(search(c, "passeport", lang="xx"), 400, "guide.invalid_language", "bad lang")
    t.eq(search(c, "   ").json["hits"], [], "blank query")


def test_search_features(t):
    c = t.login("agent")
    r = search(c, "procuraton").json
    t.eq((r["corrected_query"], r["hits"][0]["slug"]), ("procuration", "power-of-attorney"), "typo corrected")
    r = search(c, "passep").json
    t.true(r["hits"] and r["hits"][0]["slug"].startswith("passport"), "prefix while typing")
    h = search(c, "passeport").json["hits"][0]
    t.true("<mark>" in h["title_html"] or "<mark>" in h["snippet_html"], "highlighted")
    french_only(t, "search-only-fr", "Attestation de pingouin")
    deadline = time.time() + 10  # guide.refresh: the index takes the new article within a second or so
    while True:
        r = search(c, "pingouin", lang="de", log=0).json
        if r["hits"] or time.time() > deadline:
            break
        time.sleep(0.2)
    t.true(r["hits"] and r["hits"][0]["slug"] == "search-only-fr" and r["hits"][0]["other_language"],
           f"other language, marked: {r['hits'][:1]}")
    for limit in (1, 3, 10):
        hits = search(c, "passport", lang="en", limit=limit).json["hits"]
        t.true(all(h["lang"] == "en" for h in hits if h["slug"] in ("passport-adult", "passport-minor")),
               f"an article the asked language has is shown in it, whatever the limit ({limit})")
    r = search(c, "جواز السفر", lang="ar").json
    t.eq(r["hits"][0]["lang"], "ar", "Arabic query, Arabic text")
    r = search(c, "جَوَازُ السَّفَر", lang="ar").json
    t.eq(r["hits"][0]["slug"], "passport-adult", "with tashkeel")


def test_entry_rules(t):
    c = t.client()
    r = c.get("/api/v1/entry-rules?nationality=us")
    t.eq((r.status, r.json["regime"], r.json["max_stay_days"], r.json["listed"]), (200, "visa_free", 90, True), "US")
    t.true(r.json["source"] and r.json["as_of"], "source and date")
    r = c.get("/api/v1/entry-rules?nationality=NG")
    t.eq((r.json["regime"], r.json["listed"]), ("visa", False), "not listed: visa required")
    t.status(c.get("/api/v1/entry-rules?nationality=USA"), 400, "guide.invalid_nationality", "three letters")
    t.status(c.get("/api/v1/entry-rules?nationality=XX"), 400, "guide.invalid_nationality", "not a country")
    r = c.get("/api/v1/entry-rules?nationality=MA")
    t.eq((r.json["regime"], r.json["listed"]), ("national", True), "Moroccans need no visa")
    n = c.get("/api/v1/nationalities").json["nationalities"]
    t.true(len(n) >= 190 and all(len(x["name"]) == 7 for x in n), "nationalities with seven names")
    t.status(c.get("/api/v1/entry-rules"), 400, "guide.invalid_nationality", "missing")
    a = t.login("agent")
    r = search(a, "visa pour un américain").json
    t.eq((r["entry_intent"], r["nationality"], r["entry_rule"]["regime"]), (True, "US", "visa_free"), "in search")
    t.eq(r["hits"][0]["slug"], "foreigners-entry", "with the entry article")
    r = search(a, "تأشيرة للمغرب", lang="ar").json
    t.true(r["entry_intent"], "Arabic visa question")


def test_synonyms_and_gaps(t):
    e = t.login("editor")
    a = t.login("agent")
    t.eq(search(a, "zorblax").json["hits"], [], "unknown word")
    r = e.post("/api/v1/guide/synonyms", {"group": "test-zorblax", "lang": "fr", "term": "zorblax"})
    t.eq(r.status, 201, "add")
    e.post("/api/v1/guide/synonyms", {"group": "test-zorblax", "lang": "fr", "term": "passeport"})
    t.status(e.post("/api/v1/guide/synonyms", {"group": "test-zorblax", "lang": "fr", "term": "zorblax"}), 409, None,
             "duplicate")
    t.status(e.post("/api/v1/guide/synonyms", {"group": "Bad Group", "lang": "fr", "term": "x"}), 400, None, "bad group")
    t.status(a.post("/api/v1/guide/synonyms", {"group": "x", "lang": "fr", "term": "x"}), 403, None, "agents cannot")
    t.true(any(h["slug"].startswith("passport") for h in search_until(a, "zorblax", lambda h: h)), "the synonym finds")
    t.eq(e.delete(f"/api/v1/guide/synonyms/{r.json['id']}").status, 204, "delete")
    t.eq(search_until(a, "zorblax", lambda h: not h), [], "gone")
    # Gaps: what agents searched in vain; no personal data kept.
    search(a, "quwertyzz allocation", log=1)
    search(a, "quwertyzz allocation", log=1)
    search(a, "appel 0612345678 jean@example.org", log=1)
    r = search(a, "passeport", log=1).json
    a.post(f"/api/v1/guide/searches/{r['search_id']}/opened", {"slug": "passport-adult"})
    search(a, "livret", log=1)
    gaps = e.get("/api/v1/guide/gaps?kind=zero").json["gaps"]
    top = gaps[0]
    t.eq((top["query"], top["searches"]), ("quwertyzz allocation", 2), "most frequent gap first")
    stored = " ".join(g["query"] for g in gaps + e.get("/api/v1/guide/gaps?kind=unopened").json["gaps"])
    t.true("0612345678" not in stored and "jean@example.org" not in stored, f"no personal data: {stored}")
    unopened = [g["query"] for g in e.get("/api/v1/guide/gaps?kind=unopened").json["gaps"]]
    t.true("livret" in unopened and "passeport" not in unopened, f"unopened: {unopened}")
    t.status(e.get("/api/v1/guide/gaps?kind=other"), 400, None, "bad kind")
    t.status(a.get("/api/v1/guide/gaps"), 403, None, "agents do not see the gaps report")


def test_preview_is_safe(t):
    e = t.login("editor")
    r = e.post("/api/v1/guide/preview", {"body": "# T\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n**b**"})
    t.eq(r.status, 200, "preview")
    h = r.json["html"]
    t.true("<strong>b</strong>" in h and "javascript:" not in h and "<img" not in h, f"safe HTML: {h}")


def test_import_export_round_trip(t):
    e = t.login("editor")
    s = t.login("supervisor")
    r = e.post("/api/v1/guide/articles/military-service/versions",
               dict(draft(title="Service militaire"), lang="fr", reason="history to export"))
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {"effective_on": "2099-06-01"})
    out1 = os.path.join(t.srv.dir, "export1")
    r = t.srv.cli("guide", "export", out1)
    t.eq(r.returncode, 0, r.stderr)
    t.true(os.path.exists(os.path.join(out1, "military-service", "history", "fr.v2.md")), "history exported")
    fresh = Server(t.srv.binary, backend="sqlite", init=False)
    try:
        t.eq(fresh.cli("migrate").returncode, 0, "an empty store")
        r = fresh.cli("guide", "import", out1)
        t.eq(r.returncode, 0, r.stderr)
        out2 = os.path.join(fresh.dir, "export2")
        r = fresh.cli("guide", "export", out2)
        t.eq(r.returncode, 0, r.stderr)
        cmp = filecmp.dircmp(out1, out2)

        def diffs(c):
            found = c.left_only + c.right_only + c.diff_files
            for sub in c.subdirs.values():
                found += diffs(sub)
            return found
        t.eq(diffs(cmp), [], "export -> import -> export gives the same files")
        r = fresh.cli("guide", "import", out1)
        t.true(r.stdout.startswith("0 article"), f"a second import adds nothing: {r.stdout}")
    finally:
        fresh.cleanup()
    bad = os.path.join(t.srv.dir, "bad")
    os.makedirs(os.path.join(bad, "x"))
    with open(os.path.join(bad, "x", "article.json"), "w") as f:
        f.write('{"slug": "x", "category": "general", "audience": "both", "source_language": "fr"}')
    with open(os.path.join(bad, "x", "fr.md"), "w") as f:
        f.write("---\ntitle: T\nsummary: S\nfees:\n  - lots of money\n---\nbody\n")
    r = t.srv.cli("guide", "import", bad)
    t.true(r.returncode != 0 and "fr.md:5:" in r.stderr, f"a bad file is named with its line: {r.stderr}")


def test_second_node_sees_changes(t):
    if t.srv.backend != "postgresql":
        return  # one SQLite file has one node
    # two nodes of a cluster (a node without it holds its store alone)
    t.srv.stop()
    t.srv.settings.update({"cluster.enabled": "true", "cluster.node": "one"})
    t.srv.port, t.srv.init = None, False
    t.srv.start()
    node2 = Server(t.srv.binary, backend="postgresql", db_url=t.srv.db, init=False,
                   settings=dict(SETTINGS or {}, **{"cluster.enabled": "true", "cluster.node": "two"}))
    node2.share_keys(t.srv)
    node2.start()
    try:
        e = t.login("editor")
        s = t.login("supervisor")
        body = {"slug": "node-test", "category": "general", "audience": "both", "source_language": "fr",
                "version": draft(title="Quokkamatic procédure")}
        vid = e.post("/api/v1/guide/articles", body).json["id"]
        e.post(f"/api/v1/guide/versions/{vid}/submit")
        s.post(f"/api/v1/guide/versions/{vid}/approve", {})
        from harness import Client
        c2 = Client(node2)
        c2.login("agent")
        deadline = time.time() + 10
        found = False
        while time.time() < deadline and not found:
            found = any(h["slug"] == "node-test" for h in search(c2, "quokkamatic").json["hits"])
            time.sleep(0.3)
        t.true(found, "the other node's index caught up within its refresh interval")
    finally:
        node2.cleanup()


# The nationality a visa question is about, whatever the order of the words and
# the language: people's names before country names, another country before
# Morocco (the destination).
NATIONALITY_QUERIES = [
    ("fr", "visa maroc pour un indien", "IN"), ("fr", "visa pour le Maroc depuis l'Inde", "IN"),
    ("fr", "marocain vivant en France visa", "MA"), ("fr", "visa pour un tunisien", "TN"),
    ("ar", "تأشيرة المغرب للهنود", "IN"), ("ar", "تأشيرة المغرب لمواطن هندي", "IN"),
    ("es", "visado Marruecos para un colombiano", "CO"), ("es", "visado para Marruecos desde India", "IN"),
    ("it", "visto Marocco per un indiano", "IN"), ("it", "visto per il Marocco cittadino senegalese", "SN"),
    ("nl", "visum Marokko voor een Indiër", "IN"), ("nl", "visum voor Marokko Amerikaanse", "US"),
    ("de", "Visum Marokko für Inder", "IN"), ("de", "Visum für Marokko algerische Staatsangehörigkeit", "DZ"),
    ("en", "visa Morocco for an Indian citizen", "IN"), ("en", "Morocco visa Chinese passport", "CN"),
]


def test_entry_nationality_in_seven_languages(t):
    a = t.login("agent")
    got = [(lang, q, search(a, q, lang=lang).json["nationality"]) for lang, q, _ in NATIONALITY_QUERIES]
    want = [(lang, q, iso) for lang, q, iso in NATIONALITY_QUERIES]
    t.eq(got, want, "nationality parsed in every language and word order")
    r = search(a, "nationalité marocaine").json
    t.eq((r["entry_intent"], r["nationality"], r["hits"][0]["slug"].startswith("nationality-")), (False, None, True),
         f"a Moroccan's nationality question is no entry question: {r['hits'][0]['slug']}")


def test_did_you_mean_only_real_words(t):
    a = t.login("agent")
    for lang, q in [("de", "wie trage ich die Geburt meines Kindes ein?"), ("fr", "visa pour un tunisien"),
                    ("en", "visa Morocco for an Indian citizen"), ("fr", "passport perdu"), ("nl", "ik trage")]:
        r = search(a, q, lang=lang).json
        t.eq(r["corrected_query"], None, f"{lang} {q!r}: real words are not corrected")
    r = search(a, "wie trage ich die Geburt meines Kindes ein?", lang="de").json
    t.eq(r["hits"][0]["slug"], "birth-transcription", "the separable verb is read whole")
    r = search(a, "pasport perdu").json
    t.eq((r["corrected_query"], r["hits"][0]["slug"]), ("passeport perdu", "passport-lost"), "a misspelling is corrected")
    # Whatever is proposed is made of words of the guide in that language.
    for lang, q in [("fr", "imatriculation consulaire"), ("fr", "rapatriment corps maroc"), ("nl", "volmagt"),
                    ("it", "pasaporto"), ("es", "legalizasion firma")]:
        r = search(a, q, lang=lang).json
        if r["corrected_query"]:
            for w in r["corrected_query"].split():
                hits = search(a, w, lang=lang).json["hits"]
                t.true(hits and any(not h["other_language"] for h in hits),
                       f"{lang}: proposed word {w!r} is found in the guide in {lang}")


def test_entry_card_is_no_gap(t):
    a = t.login("agent")
    e = t.login("editor")
    for _ in range(2):
        search(a, "visa zzyzx pour un indien", log=1)
        search(a, "zzyzx qwerv", log=1)
    zero = [g["query"] for g in e.get("/api/v1/guide/gaps?kind=zero").json["gaps"]]
    unopened = [g["query"] for g in e.get("/api/v1/guide/gaps?kind=unopened").json["gaps"]]
    t.true("zzyzx qwerv" in zero, f"a search with no answer is a gap: {zero}")
    t.true("visa zzyzx pour un indien" not in zero + unopened, f"the entry card answered: {zero} {unopened}")
    r = search(a, "visa pour un indien", log=1).json
    t.eq(a.post(f"/api/v1/guide/searches/{r['search_id']}/opened", {"slug": "foreigners-entry"}).status, 204,
         "an article opened after the card is still recorded")
