"""A private PostgreSQL for the tests: initdb in a temporary folder, its own
port and socket folder, trust authentication on loopback only, stopped (and
removed) afterwards. Runs as the 'postgres' system user when we are root,
since PostgreSQL refuses to run as root.

For fail-over tests, a primary (PgServer(PRIMARY)) and a streaming replica
of it (PgServer().start_replica(primary): pg_basebackup -R), synchronous:
the primary's COMMIT returns once the replica has the transaction on disk.
The primary can then be killed (kill9), stopped (halt) or fenced off
read-only (fence), the replica promoted (promote), and the old primary
brought back as a standby of the new one (rejoin: pg_rewind -R), which is
what Patroni does with a former leader."""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# A primary whose commits wait for one synchronous standby (any name). On
# its command line, not in its configuration file: a replica copies that
# file, and once promoted it must not wait for a standby it does not have.
PRIMARY = {"synchronous_standby_names": "*", "synchronous_commit": "on"}


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


class PgCommandError(subprocess.CalledProcessError):
    def __str__(self):
        return f"{' '.join(self.cmd[-6:])}: exit status {self.returncode}: {self.stdout.strip()[-600:]}"


def wait_until(fn, timeout, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


class PgServer:
    """settings: extra server settings (-c). host: the address it listens on;
    netns: a network namespace to run it in (`ip netns exec`, so that host is
    that namespace's address); clients: a network (CIDR) allowed in besides
    loopback, with trust authentication."""

    def __init__(self, settings=None, host="127.0.0.1", netns=None, clients=None):
        self.bin = _bindir()
        self.dir = None
        self.port = None
        self.as_user = None
        self.settings = dict(settings or {})
        self.host = host
        self.netns = netns
        self.clients = clients

    def _run(self, args, **kw):
        if self.as_user:
            args = ["runuser", "-u", self.as_user, "--"] + args
        if self.netns:
            args = ["ip", "netns", "exec", self.netns] + args
        # from a folder the server's account may enter (not root's home: psql
        # would print "could not change directory" among its answers), and
        # what it says on stderr apart from its answers
        kw.setdefault("cwd", self.dir or "/")
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        if r.returncode:  # the same exception, saying what the command said
            raise PgCommandError(r.returncode, args, r.stdout + r.stderr)
        return r

    def _folder(self):
        self.dir = tempfile.mkdtemp(prefix="wasl-pg-")
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user="postgres")
        # in a namespace of its own, every port is free
        self.port = 5432 if self.netns else free_port()
        return os.path.join(self.dir, "data")

    def start(self):
        data = self._folder()
        self._run([os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8", "-N"])
        if self.settings.get("synchronous_standby_names"):
            # What pg_rewind needs to rewind this server once it has been
            # replaced, in the file so that they hold in the single-user
            # crash recovery pg_rewind runs too: hint bits logged, and the
            # WAL since the last checkpoint both servers share kept.
            with open(os.path.join(data, "postgresql.conf"), "a") as f:
                f.write("wal_log_hints = on\nwal_keep_size = 256MB\n")
        if self.clients:
            with open(os.path.join(data, "pg_hba.conf"), "a") as f:
                # the network's members, and a replica in it (replication is no database "all" matches)
                f.write(f"host all all {self.clients} trust\nhost replication all {self.clients} trust\n")
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self):
        opts = (f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=on -c max_connections=200 -c shared_buffers=64MB")
        opts += "".join(f" -c {k}='{v}'" for k, v in self.settings.items())
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-o", opts, "-l",
                   os.path.join(self.dir, "log"), "-w", "-t", "60", "start"])

    def createdb(self, name):
        self._run([os.path.join(self.bin, "createdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres",
                   name])

    def url(self, name):
        try:
            self.createdb(name)
        except subprocess.CalledProcessError as e:
            if "already exists" not in e.stdout:
                raise
        return f"postgresql://postgres@{self.host}:{self.port}/{name}"

    def dropdb(self, name):
        self._run([os.path.join(self.bin, "dropdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres",
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

    # --- replication and fail-over -------------------------------------

    def data(self):
        return os.path.join(self.dir, "data")

    def sql(self, query, db="postgres"):
        """One value (or lines) of a query, through psql on this server only."""
        return self._run(["psql", "-tAX", "-h", self.host, "-p", str(self.port), "-U", "postgres", "-d", db,
                          "-c", query]).stdout.strip()

    def start_replica(self, primary):
        """A streaming standby of primary (pg_basebackup -R writes its
        standby.signal and primary_conninfo), started on a port of its own
        (on this server's host and in its namespace, if it has them)."""
        data = self._folder()
        self._run([os.path.join(self.bin, "pg_basebackup"), "-h", primary.host, "-p", str(primary.port), "-U",
                   "postgres", "-D", data, "-R", "-X", "stream", "-c", "fast"])
        self._pg_ctl_start()
        return self

    def wait_sync(self, timeout=30):
        """True once a standby streams from this server synchronously."""
        return wait_until(lambda: "sync" in self.sql("SELECT sync_state FROM pg_stat_replication").split(), timeout,
                          0.1)

    def in_recovery(self):
        return self.sql("SELECT pg_is_in_recovery()") == "t"

    def _processes(self):
        """PIDs of this server's processes (postmaster and children): every
        one of them runs in the data folder."""
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if os.readlink(f"/proc/{pid}/cwd") == self.data():
                        found.append(int(pid))
                except OSError:
                    pass
        return found

    def kill9(self, timeout=30):
        """A crash: SIGKILL to the postmaster, no shutdown checkpoint; returns
        once its children have noticed and gone too."""
        with open(os.path.join(self.data(), "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)
        # gone: its children exited, and it was reaped (a zombie's PID in
        # postmaster.pid would stop a restart on this data folder)
        if not wait_until(lambda: not self._processes() and not os.path.exists(f"/proc/{pid}"), timeout):
            raise RuntimeError(f"PostgreSQL processes left after kill -9: {self._processes()}, postmaster {pid}")

    def fence(self):
        """Fences the primary off without stopping it: every session turns
        read-only (default_transaction_read_only, reloaded), as a fencing
        script may do to a primary that must stop taking writes."""
        self.sql("ALTER SYSTEM SET default_transaction_read_only = on")
        self.sql("SELECT pg_reload_conf()")
        if not wait_until(lambda: self.sql("SHOW default_transaction_read_only") == "on", 10):
            raise RuntimeError("the fence (default_transaction_read_only) did not take")

    def promote(self):
        """pg_ctl promote, returning once the standby takes writes."""
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data(), "-w", "-t", "60", "promote"])

    def rejoin(self, primary):
        """Brings this former primary (stopped or killed) back as a standby
        of primary: pg_rewind winds its data back to where the timelines
        parted (crash recovery first after a kill) and -R makes it a standby,
        so it can never come back as a second primary. A checkpoint on the
        new primary first, as Patroni does: until one, its control file still
        names the old timeline, and pg_rewind would see nothing to rewind."""
        primary.sql("CHECKPOINT")
        self._run([os.path.join(self.bin, "pg_rewind"), "-D", self.data(), "-R", "--source-server",
                   f"host={primary.host} port={primary.port} user=postgres dbname=postgres"])
        self._pg_ctl_start()
