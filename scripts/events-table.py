#!/usr/bin/env python3
"""Rewrites the table of kinds in docs/events.md from src/events/events.c
(ev_defs), where the kinds are defined. tests/api/test_events.py checks that
the two agree; run this after adding or changing a kind."""
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = open(os.path.join(TOP, "src", "events", "events.c")).read()
rows = ["| kind | data fields | meaning |", "|---|---|---|"]
for m in re.finditer(r'\[EV_\w+\] = \{"([a-z_.]+)", ((?:(?:NULL|"\w+"),\s*){5})"((?:[^"\\]|\\.)*)"', src):
    fields = [f.strip().strip('"') for f in m.group(2).split(",") if f.strip() and f.strip() != "NULL"]
    meaning = m.group(3).replace("\\'", "'")
    rows.append(f"| `{m.group(1)}` | {', '.join('`' + f + '`' for f in fields) or '—'} | {meaning} |")
path = os.path.join(TOP, "docs", "events.md")
doc = open(path).read()
a = doc.index("| kind | data fields | meaning |")
b = doc.index("\n\n", a)
open(path, "w").write(doc[:a] + "\n".join(rows) + doc[b:])
print(f"docs/events.md: {len(rows) - 2} kinds")
