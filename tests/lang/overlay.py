"""Builds a copy of data/ and web/ with the test language of tests/lang/zgh
added the way docs/languages.md says a language is added (README.md here).

    data_dir, web_dir = overlay.build(folder)
    python3 tests/lang/overlay.py FOLDER     (prints the data folder)
"""
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ZGH = os.path.join(HERE, "zgh")
CODE = "zgh"


def _prompt_ids(path):
    ids = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^([a-z0-9_]+)\s*=\s*(.*)$", line.rstrip("\n"))
            if m:
                ids[m.group(1)] = m.group(2)
    return ids


def build(folder):
    data = os.path.join(folder, "data")
    web = os.path.join(folder, "web")
    shutil.copytree(os.path.join(TOP, "data"), data)
    shutil.copytree(os.path.join(TOP, "web"), web)

    langs_path = os.path.join(data, "languages.json")
    with open(langs_path, encoding="utf-8") as f:
        langs = json.load(f)
    with open(os.path.join(ZGH, "language.json"), encoding="utf-8") as f:
        langs["languages"].append(json.load(f))
    with open(langs_path, "w", encoding="utf-8") as f:
        json.dump(langs, f, ensure_ascii=False, indent=1)

    # Prompts: the test file, completed with the English text of every
    # prompt it lacks (a real language gives them all: wasl refuses to start
    # otherwise); lang_en is English's own menu offer, not ours.
    own = os.path.join(ZGH, "prompts", f"{CODE}.txt")
    have = _prompt_ids(own)
    with open(own, encoding="utf-8") as f:
        text = f.read()
    extra = [f"{k} = {v}" for k, v in _prompt_ids(os.path.join(TOP, "data", "prompts", "en.txt")).items()
             if k not in have and not k.startswith("lang_")]
    with open(os.path.join(data, "prompts", f"{CODE}.txt"), "w", encoding="utf-8") as f:
        f.write(text + "# English, filled in by tests/lang/overlay.py:\n" + "\n".join(extra) + "\n")

    shutil.copy(os.path.join(ZGH, "i18n", f"{CODE}.json"), os.path.join(web, "i18n", f"{CODE}.json"))
    shutil.copy(os.path.join(ZGH, "cases", "messages", f"{CODE}.json"),
                os.path.join(data, "cases", "messages", f"{CODE}.json"))
    for slug in os.listdir(os.path.join(ZGH, "guide")):
        shutil.copy(os.path.join(ZGH, "guide", slug, f"{CODE}.md"), os.path.join(data, "guide", slug, f"{CODE}.md"))
    return data, web


if __name__ == "__main__":
    print(build(sys.argv[1])[0])
