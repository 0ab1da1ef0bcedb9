"""A private PostgreSQL for the tests: initdb in a temporary folder, its own
port and socket folder, trust authentication on loopback only, stopped (and
removed) afterwards. Runs as the 'postgres' system user when we are root,
since PostgreSQL refuses to run as root."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def _bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (install postgresql: scripts/deps.sh)")
    return os.path.dirname(found[-1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self):
        self.bin = _bindir()
        self.dir = None
        self.port = None
        self.as_user = None

    def _run(self, args, **kw):
        if self.as_user:
            args = ["runuser", "-u", self.as_user, "--"] + args
        return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="wasl-pg-")
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user="postgres")
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        self._run([os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8", "-N"])
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self):
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=on -c max_connections=200 -c shared_buffers=64MB")
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-o", opts, "-l",
                   os.path.join(self.dir, "log"), "-w", "-t", "60", "start"])

    def createdb(self, name):
        self._run([os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                   name])

    def url(self, name):
        try:
            self.createdb(name)
        except subprocess.CalledProcessError as e:
            if "already exists" not in e.stdout:
                raise
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def dropdb(self, name):
        self._run([os.path.join(self.bin, "dropdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                   "--if-exists", name])

    def stop(self):
        if not self.dir:
            return
        try:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w",
                       "stop"])
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def halt(self):
        """Stops the server as an outage would (fast shutdown: sessions cut),
        keeping its data for resume()."""
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w", "stop"])

    def resume(self):
        """Starts the halted server again on the same data, port and socket."""
        self._pg_ctl_start()
