"""Patroni and etcd on loopback for the tests: one etcd, and PostgreSQL nodes
each run by its own Patroni from deploy/patroni/patroni.yml, with only what
must differ on one machine changed (addresses, ports, folders; the watchdog
off; shorter timings so that a fail-over fits in a test). Processes run as
the 'postgres' user when we are root (Patroni starts PostgreSQL, which
refuses root)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request

import yaml

from pgserver import _bindir, free_port, wait_until

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(TOP, "deploy", "patroni", "patroni.yml")
PASSWORD = "change-me"  # the sample's superuser password, kept for the test


def http_status(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError:
        return None, ""


class Lab:
    def __init__(self, ttl=20, loop_wait=2, retry_timeout=5):
        self.dir = tempfile.mkdtemp(prefix="wasl-patroni-")
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user="postgres")
        self.timing = {"ttl": ttl, "loop_wait": loop_wait, "retry_timeout": retry_timeout}
        self.etcd = None
        self.etcd_port = None
        self.nodes = {}  # name -> {"proc", "pg_port", "api_port", "config", "log"}

    def _spawn(self, args, log, as_user=True):
        if as_user and self.as_user:
            args = ["runuser", "-u", self.as_user, "--"] + args
        f = open(log, "a")  # noqa: SIM115 - kept open for the process's life
        # from a folder its account may enter (not root's home)
        return subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.dir)

    def start_etcd(self):
        self.etcd_port, peer = free_port(), free_port()
        data = os.path.join(self.dir, "etcd")
        self.etcd = self._spawn(["etcd", "--name", "e1", "--data-dir", data,
                                 "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                                 "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                                 "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                                 "--initial-cluster", f"e1=http://127.0.0.1:{peer}"],
                                os.path.join(self.dir, "etcd.log"), as_user=False)
        if not wait_until(lambda: '"true"' in http_status(f"http://127.0.0.1:{self.etcd_port}/health")[1], 30, 0.1):
            raise RuntimeError("etcd did not answer within 30 s: " + self.log("etcd")[-800:])

    def config(self, name):
        """The sample, with this node's name, loopback addresses, ports and folders."""
        with open(SAMPLE) as f:
            c = yaml.safe_load(f)
        node = self.nodes[name]
        home = os.path.join(self.dir, name)
        c["name"] = name
        c["restapi"]["listen"] = c["restapi"]["connect_address"] = f"127.0.0.1:{node['api_port']}"
        c["etcd3"]["hosts"] = f"127.0.0.1:{self.etcd_port}"
        c["bootstrap"]["dcs"].update(self.timing)
        c["bootstrap"]["pg_hba"] = [h.replace("10.0.0.0/24", "127.0.0.1/32") for h in c["bootstrap"]["pg_hba"]]
        pg = c["postgresql"]
        pg["listen"] = pg["connect_address"] = f"127.0.0.1:{node['pg_port']}"
        pg["data_dir"] = os.path.join(home, "data")
        pg["bin_dir"] = _bindir()
        pg["pgpass"] = os.path.join(home, "pgpass")
        pg["parameters"]["unix_socket_directories"] = home
        c["watchdog"]["mode"] = "off"
        c["log"] = {"level": "INFO"}
        return c

    def start_node(self, name):
        if name not in self.nodes:
            self.nodes[name] = {"pg_port": free_port(), "api_port": free_port()}
        node = self.nodes[name]
        home = os.path.join(self.dir, name)
        os.makedirs(home, exist_ok=True)
        if self.as_user:
            shutil.chown(home, user=self.as_user)
        path = os.path.join(home, "patroni.yml")
        with open(path, "w") as f:
            yaml.safe_dump(self.config(name), f)
        node["proc"] = self._spawn(["patroni", path], os.path.join(self.dir, f"{name}.log"))

    def role(self, name):
        """'primary', 'replica' or None, from Patroni's REST API."""
        port = self.nodes[name]["api_port"]
        if http_status(f"http://127.0.0.1:{port}/primary")[0] == 200:
            return "primary"
        if http_status(f"http://127.0.0.1:{port}/replica")[0] == 200:
            return "replica"
        return None

    def is_sync(self, name):
        return http_status(f"http://127.0.0.1:{self.nodes[name]['api_port']}/sync")[0] == 200

    def cluster(self):
        status, body = http_status(f"http://127.0.0.1:{self.nodes[next(iter(self.nodes))]['api_port']}/cluster")
        return json.loads(body) if status == 200 else None

    def sql(self, name, query, db="postgres"):
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        return subprocess.run(["psql", "-tAX", "-h", "127.0.0.1", "-p", str(self.nodes[name]["pg_port"]), "-U",
                               "postgres", "-d", db, "-c", query], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=True).stdout.strip()

    def url(self, db, names=None):
        """A URL naming every node (or those named), as wasl is given."""
        hosts = ",".join(f"127.0.0.1:{n['pg_port']}" for k, n in self.nodes.items() if not names or k in names)
        return f"postgresql://postgres:{PASSWORD}@{hosts}/{db}"

    def _pg_pids(self, name):
        data = os.path.join(self.dir, name, "data")
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if os.readlink(f"/proc/{pid}/cwd") == data:
                        found.append(int(pid))
                except OSError:
                    pass
        return found

    def lose_machine(self, name):
        """The machine gone at once: Patroni and PostgreSQL killed (-9), so
        nothing renews the leader key or restarts PostgreSQL."""
        node = self.nodes[name]
        os.killpg(node["proc"].pid, signal.SIGKILL)
        node["proc"].wait(10)
        for pid in self._pg_pids(name):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not wait_until(lambda: not self._pg_pids(name), 30):
            raise RuntimeError(f"PostgreSQL of {name} still running after kill -9")

    def log(self, name):
        try:
            with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        for node in self.nodes.values():
            p = node.get("proc")
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)  # Patroni stops its PostgreSQL
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(10)
        for name in self.nodes:
            for pid in self._pg_pids(name):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.etcd and self.etcd.poll() is None:
            self.etcd.terminate()
            try:
                self.etcd.wait(10)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
