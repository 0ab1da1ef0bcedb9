"""Search quality: every query of tests/guide/relevance.csv (seven languages,
typos, plurals, synonyms, questions, other-language queries) must find its
article in the top 3; the set as a whole must reach 90 %."""
import csv
import os
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = 0.90


def test_top3_hit_rate(t):
    c = t.login("agent")
    with open(os.path.join(TOP, "tests", "guide", "relevance.csv"), newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    t.true(len(rows) >= 100, f"at least 100 queries ({len(rows)})")
    t.eq(sorted({r["lang"] for r in rows}), sorted(["ar", "fr", "es", "it", "nl", "de", "en"]), "all seven languages")
    hits, misses, by_kind = 0, [], {}
    for r in rows:
        q = urllib.parse.quote(r["query"])
        res = c.get(f"/api/v1/guide/search?q={q}&lang={r['lang']}&limit=3&log=0")
        t.eq(res.status, 200, f"search {r['query']!r}")
        top = [h["slug"] for h in res.json["hits"][:3]]
        ok = r["expected_slug"] in top
        k = by_kind.setdefault(r["kind"], [0, 0])
        k[1] += 1
        if ok:
            hits += 1
            k[0] += 1
        else:
            misses.append(f"{r['lang']} {r['kind']:<14} {r['query']!r} -> want {r['expected_slug']}, got {top}")
    rate = hits / len(rows)
    print(f"# top-3 hit rate {hits}/{len(rows)} = {rate:.1%}; by kind: " +
          ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(by_kind.items())))
    for m in misses:
        print("# miss: " + m)
    t.true(rate >= TARGET, f"top-3 hit rate {rate:.1%} is below {TARGET:.0%}")
