"""Older wasl binaries for the upgrade test (tests/api/test_upgrade.py): the
source of a base commit taken with `git archive`, built once (plain -O1, no
sanitizers) into build/upgrade-base/<commit>/ and reused while that folder is
there.

Base commits: WASL_UPGRADE_BASE (commits or revisions separated by spaces), or
by default both of
  * HEAD~1, what the branch held before its newest commit (on main after a
    merge: the previous main), and
  * the parent of the newest commit that changed src/store/migrations/, so that
    at least one migration runs on a database the older binary made.
This needs the git history (a full clone; a shallow one fails and says so).

    python3 tests/lib/upgrade_base.py      # builds the bases, prints their binaries
"""
import fcntl
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.path.join(TOP, "build", "upgrade-base")
MIGRATIONS = "src/store/migrations/"


def git(*args):
    p = subprocess.run(["git", "-C", TOP] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {p.stderr.strip()} (the upgrade test needs the git history: "
                           "a full clone, or WASL_UPGRADE_BASE set to a commit that is present)")
    return p.stdout.strip()


def rev(name):
    return git("rev-parse", "--verify", "--quiet", name + "^{commit}")


def bases():
    """[(commit, why)] to upgrade from, oldest last, without repeats."""
    env = os.environ.get("WASL_UPGRADE_BASE", "").split()
    if env:
        out = [(rev(b), f"WASL_UPGRADE_BASE {b}") for b in env]
    else:
        out = [(rev("HEAD~1"), "HEAD~1")]
        changed = git("log", "-1", "--format=%H", "HEAD", "--", MIGRATIONS)
        if changed and git("rev-list", "--parents", "-n", "1", changed).count(" "):
            out.append((rev(changed + "~1"), f"before {changed[:10]}, the newest change to {MIGRATIONS}"))
    seen, uniq = set(), []
    for c, why in out:
        if c not in seen:
            seen.add(c)
            uniq.append((c, why))
    return uniq


def build(commit, log=sys.stderr):
    """The path of build/wasl for commit, built if it is not there yet.
    Raises RuntimeError with make's output when the build fails."""
    os.makedirs(ROOT, exist_ok=True)
    dest = os.path.join(ROOT, commit)
    binary = os.path.join(dest, "build", "wasl")
    with open(os.path.join(ROOT, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two suites at once build it once
        if os.path.exists(binary):
            return binary
        tmp = dest + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        archive = subprocess.Popen(["git", "-C", TOP, "archive", commit], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", tmp], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {commit} failed")
        print(f"# building the upgrade base {commit[:10]} in {os.path.relpath(tmp, TOP)}", file=log, flush=True)
        # The extracted tree lies inside this repository: keep its Makefile's
        # git commands from finding it (VERSION is given instead).
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=ROOT)
        p = subprocess.run(["nice", "make", "-j2", "-s", "build/wasl", "CFLAGS=-O1 -g", f"VERSION={commit[:7]}"],
                           cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"building {commit[:10]} failed:\n{p.stdout[-3000:]}")
        # only the program and its data/ are used from here on
        for junk in ("tests", "bench", "docs", "web", os.path.join("build", "obj"), os.path.join("build", "libwasl.a")):
            path = os.path.join(tmp, junk)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
        os.rename(tmp, dest)
        return binary


def prune(keep):
    """Removes the builds of commits not in keep (HEAD~1 moves on with every
    commit; each build is a few MB)."""
    if not os.path.isdir(ROOT):
        return
    with open(os.path.join(ROOT, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for d in os.listdir(ROOT):
            if not d.startswith(".") and d.split(".")[0] not in keep:
                shutil.rmtree(os.path.join(ROOT, d), ignore_errors=True)


if __name__ == "__main__":
    prune([c for c, _ in bases()])
    for c, why in bases():
        print(f"{c[:10]} ({why}): {build(c)}")
