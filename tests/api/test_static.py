"""The web UI's files: a symbolic link inside the web root that leads out
of it (to the personal-data key, /etc/passwd) is never served (issue 10: a
link served wasl.key); one that stays inside is."""
import atexit
import os
import shutil
import tempfile

ROOT = tempfile.mkdtemp(prefix="wasl-web-")
SECRET = tempfile.mkdtemp(prefix="wasl-secret-")
atexit.register(shutil.rmtree, ROOT, True)
atexit.register(shutil.rmtree, SECRET, True)
with open(os.path.join(ROOT, "index.html"), "w") as f:
    f.write("<!doctype html><title>wasl</title>")
os.makedirs(os.path.join(ROOT, "js"))
with open(os.path.join(ROOT, "js", "app.js"), "w") as f:
    f.write("export const x = 1;\n")
with open(os.path.join(SECRET, "wasl.key"), "w") as f:
    f.write("SECRET-KEY-MATERIAL\n")
os.symlink(os.path.join(SECRET, "wasl.key"), os.path.join(ROOT, "key.txt"))
os.symlink("/etc/passwd", os.path.join(ROOT, "js", "passwd.js"))
os.symlink(SECRET, os.path.join(ROOT, "outside"))
os.symlink(os.path.join(ROOT, "js", "app.js"), os.path.join(ROOT, "same.js"))

SETTINGS = {"http.web_root": ROOT}


def test_symlinks_out_of_the_web_root_are_not_served(t):
    c = t.client()
    t.eq(c.get("/").status, 200, "the index")
    t.eq(c.get("/js/app.js").status, 200, "a file")
    for path in ("/key.txt", "/js/passwd.js", "/outside/wasl.key"):
        r = c.get(path)
        t.eq(r.status, 404, f"{path}: a link out of the web root")
        t.true("SECRET" not in (r.body or "") and "root:" not in (r.body or ""), f"{path}: nothing of it")
    r = c.get("/same.js")
    t.eq((r.status, "export" in (r.body or "")), (200, True), "a link that stays inside is served")
