"""The editors' coverage of the guide: per-language counts checked against
data/guide, the translation queue and its order, and cross-references
between articles ([[slug]]): resolved per reader, refused when unknown."""
import os

from test_guide import draft, french_only

SETTINGS = {"guide.refresh": "1s"}

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LANGS = ["ar", "fr", "es", "it", "nl", "de", "en"]


def shipped():
    """{slug: set of languages with a file} for every article in data/guide."""
    d = os.path.join(ROOT, "data", "guide")
    out = {}
    for slug in os.listdir(d):
        if os.path.exists(os.path.join(d, slug, "article.json")):
            out[slug] = {f[:-3] for f in os.listdir(os.path.join(d, slug)) if f[:-3] in LANGS and f.endswith(".md")}
    return out


def coverage(c):
    r = c.get("/api/v1/guide/coverage")
    assert r.status == 200, r
    return {x["lang"]: x for x in r.json["languages"]}


def publish(t, slug, lang, title, **over):
    e, s = t.login("editor"), t.login("supervisor")
    r = e.post(f"/api/v1/guide/articles/{slug}/versions", dict(draft(title=title, **over), lang=lang, reason="test"))
    t.eq(r.status, 201, f"{slug} {lang} draft: {r}")
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    t.eq(s.post(f"/api/v1/guide/versions/{r.json['id']}/approve", {}).status, 200, f"{slug} {lang} published")
    return r.json["id"]


def test_coverage_counts_against_the_data(t):
    e = t.login("editor")
    data = shipped()
    cov = coverage(e)
    t.eq(sorted(cov), sorted(LANGS), "the seven languages")
    for lang in LANGS:
        have = sum(1 for langs in data.values() if lang in langs)
        t.eq((cov[lang]["articles"], cov[lang]["published"], cov[lang]["missing"], cov[lang]["outdated"], cov[lang]["pending"]),
             (len(data), have, len(data) - have, 0, 0), f"{lang}: counts match data/guide")
    t.status(t.login("agent").get("/api/v1/guide/coverage"), 403, None, "agents do not see the editors' coverage")
    # One article in French only, one French amendment (its six translations fall behind),
    # one Dutch translation sent for review.
    french_only(t, "cov-fr-only", "Certificat de coverage")
    publish(t, "fees", "fr", "Droits de chancellerie")
    r = e.post("/api/v1/guide/articles/cov-fr-only/versions", dict(draft(title="Dekking"), lang="nl", reason="vertaling"))
    e.post(f"/api/v1/guide/versions/{r.json['id']}/submit")
    after = coverage(e)
    for lang in LANGS:
        other = lang != "fr"
        t.eq((after[lang]["missing"] - cov[lang]["missing"], after[lang]["outdated"], after[lang]["pending"]),
             (1 if other else 0, 1 if other else 0, 1 if lang == "nl" else 0), f"{lang}: missing, outdated, pending follow")


def test_queue_oldest_change_first(t):
    e = t.login("editor")
    # Two French-only articles whose texts took effect on different past days (imported
    # with their checked_on as effective date), and one of today.
    src = os.path.join(t.srv.dir, "queue-import")
    for slug, day in (("queue-newer", "2025-03-01"), ("queue-older", "2024-05-01")):
        os.makedirs(os.path.join(src, slug))
        with open(os.path.join(src, slug, "article.json"), "w") as f:
            f.write('{"slug": "%s", "category": "general", "audience": "both", "source_language": "fr"}' % slug)
        with open(os.path.join(src, slug, "fr.md"), "w") as f:
            f.write(f"---\ntitle: Article {slug}\nsummary: S\nchecked_on: {day}\nconfidence: U\n---\nCorps.\n")
    r = t.srv.cli("guide", "import", src)
    t.eq(r.returncode, 0, r.stderr)
    french_only(t, "queue-today", "Article du jour")
    q = e.get("/api/v1/guide/coverage/queue?lang=de").json["articles"]
    slugs = [x["slug"] for x in q]
    t.eq([s for s in slugs if s.startswith("queue-")], ["queue-older", "queue-newer", "queue-today"], "oldest source change first")
    t.eq([x["source_on"] for x in q], sorted(x["source_on"] for x in q), "the whole queue is in date order")
    first = q[slugs.index("queue-older")]
    t.eq((first["state"], first["source_language"], first["source_version"], first["translated_version"], first["source_on"]),
         ("missing", "fr", 1, 0, "2024-05-01"), "a missing translation")
    # An outdated translation joins the queue; translated again, it leaves it.
    publish(t, "passport-lost", "fr", "Passeport perdu")
    q = e.get("/api/v1/guide/coverage/queue?lang=de").json["articles"]
    pl = [x for x in q if x["slug"] == "passport-lost"]
    t.eq([(x["state"], x["translated_version"], x["source_version"]) for x in pl], [("outdated", 1, 2)], "outdated in the queue")
    t.eq(q[-1]["slug"], "queue-today", "today's changes last (ties by slug)")
    publish(t, "passport-lost", "de", "Reisepass verloren")
    q = e.get("/api/v1/guide/coverage/queue?lang=de").json["articles"]
    t.true("passport-lost" not in [x["slug"] for x in q], "translated again: out of the queue")
    t.true(all(x["slug"] != "queue-older" for x in e.get("/api/v1/guide/coverage/queue?lang=fr").json["articles"]),
           "never queued in its own source language")
    t.status(e.get("/api/v1/guide/coverage/queue?lang=pt"), 400, "guide.invalid_language", "unknown language")
    t.status(e.get("/api/v1/guide/coverage/queue"), 400, "guide.invalid_language", "no language")


def test_cross_references(t):
    e = t.login("editor")
    a = t.login("agent")
    # Unknown targets are refused, on a new version and on a new article.
    r = e.post("/api/v1/guide/articles/fees/versions",
               dict(draft(title="Droits", body="Voir [[no-such-article]]."), lang="fr", reason="lien"))
    t.status(r, 400, "guide.unknown_link", "a link to an unknown slug is refused")
    t.true("no-such-article" in r.json["error"]["message"], f"the error names the slug: {r.json}")
    r = e.post("/api/v1/guide/articles", {"slug": "xref-new", "category": "general", "audience": "both", "source_language": "fr",
                                          "version": draft(body="Voir [[nope-nope]] et [[xref-new]].")})
    t.status(r, 400, "guide.unknown_link", "refused on a new article too")
    # A link to a French-only article, from a text read in German: the title falls back, marked.
    french_only(t, "xref-target", "Cible *x* (y) [spéciale]")
    publish(t, "fees", "de", "Gebühren", body="Siehe [[passport-lost]] und [[xref-target]] und [[not a link]].")
    html = a.get("/api/v1/guide/articles/fees?lang=de").json["text"]["body_html"]
    de_title = a.get("/api/v1/guide/articles/passport-lost?lang=de").json["text"]["title"]
    t.true(f'<a href="#/guide/article?slug=passport-lost&amp;lang=de">{de_title}</a>' in html, f"German title: {html}")
    t.true('<a href="#/guide/article?slug=xref-target&amp;lang=de">Cible *x* (y) [spéciale] (fr)</a>' in html,
           f"source-language title, marked, and escaped: {html}")
    t.true("[[not a link]]" in html, "a non-slug stays text")
    # The preview resolves them as the agents will see them, and flags an unknown one.
    p = e.post("/api/v1/guide/preview", {"body": "[[cnie-first]] [[gone-article]]", "lang": "fr"}).json["html"]
    fr_title = a.get("/api/v1/guide/articles/cnie-first?lang=fr").json["text"]["title"]
    t.true(f'href="#/guide/article?slug=cnie-first&amp;lang=fr">{fr_title}</a>' in p, p)
    t.true("[[gone-article]] \u26a0" in p and "gone-article&" not in p, f"unknown target flagged, not linked: {p}")
    # The shipped articles link each other: every [[slug]] in data/guide names an article.
    data = shipped()
    found = 0
    for slug, langs in data.items():
        for lang in langs:
            with open(os.path.join(ROOT, "data", "guide", slug, f"{lang}.md"), encoding="utf-8") as f:
                text = f.read()
            for part in text.split("[[")[1:]:
                target = part.split("]]")[0]
                if all(ch.isalnum() and ch.islower() or ch.isdigit() or ch == "-" for ch in target):
                    found += 1
                    t.true(target in data, f"{slug}/{lang}.md links [[{target}]], which exists")
    t.true(found >= 7 * 4, f"{found} cross-references shipped")
    html = a.get("/api/v1/guide/articles/passport-lost?lang=ar").json["text"]["body_html"]
    t.true('href="#/guide/article?slug=cnie-renewal-loss&amp;lang=ar"' in html, "a shipped link resolved in Arabic")
