"""HTTPS served by wasl itself (http.tls_cert, http.tls_key).

A throwaway CA and server certificates are made with openssl for each run.
curl checks the certificate against that CA, the HSTS header and the Secure
session cookie; a client that offers at most TLS 1.1 is refused by the
server (the same client gets in with TLS 1.2, so the refusal is the
server's); a renewed certificate is taken without a restart, on SIGHUP and
when the files change, and a key that does not match is refused with the
pair in use kept. Plain HTTP on an address other than loopback is refused
unless http.allow_plain says so.
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings

import harness
from harness import Skip
from test_slowloris import trickle_until_closed

SQLITE_ONLY = True  # the web layer is the same on both backends
DEMO_LOGIN = '{"login":"admin","password":"admin-demo-2026"}'


def run(*cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, **kw)


class Pki:
    """A CA and server certificates for 127.0.0.1 signed by it."""

    def __init__(self):
        if not shutil.which("openssl"):
            raise Skip("openssl is not installed (scripts/deps.sh test)")
        self.dir = tempfile.mkdtemp(prefix="wasl-tls-")
        self.ca = self.path("ca.pem")
        r = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", self.path("ca.key"), "-out", self.ca, "-subj", "/CN=wasl test CA", "-days", "2")
        assert r.returncode == 0, r.stderr
        with open(self.path("ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def issue(self, name, serial):
        """name.pem and name.key, the certificate with this serial number."""
        key, csr, pem = self.path(name + ".key"), self.path(name + ".csr"), self.path(name + ".pem")
        r = run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
        assert r.returncode == 0, r.stderr
        r = run("openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.path("ca.key"), "-set_serial",
                str(serial), "-days", "2", "-out", pem, "-extfile", self.path("ext"))
        assert r.returncode == 0, r.stderr
        return pem, key

    def install(self, pem, key, cert_to, key_to):
        """Puts a pair in place the way a renewal does: each file renamed over the old one."""
        for src, dst in ((key, key_to), (pem, cert_to)):
            shutil.copyfile(src, dst + ".new")
            os.rename(dst + ".new", dst)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def tls_server(t, pki, **more):
    pem, key = pki.issue("first", 4097)
    cert_at, key_at = pki.path("live.pem"), pki.path("live.key")
    pki.install(pem, key, cert_at, key_at)
    settings = {"http.tls_cert": cert_at, "http.tls_key": key_at}
    settings.update(more)
    srv = harness.Server(t.srv.binary, backend="sqlite", settings=settings)
    srv.start()
    return srv, cert_at, key_at


def served_serial(pki, port):
    """The serial number of the certificate a new handshake gets."""
    ctx = ssl.create_default_context(cafile=pki.ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as tls:
            der = tls.getpeercert(binary_form=True)
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der, stdout=subprocess.PIPE,
                       timeout=30)
    return int(r.stdout.decode().strip().split("=")[1], 16)


def wait_serial(pki, port, want, within=10.0):
    deadline = time.time() + within
    got = None
    while time.time() < deadline:
        got = served_serial(pki, port)
        if got == want:
            return got
        time.sleep(0.1)
    return got


def handshake(port, cafile, max_version):
    """Error text of a handshake offering at most max_version, or None."""
    ctx = ssl.create_default_context(cafile=cafile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer the old versions at all
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = max_version
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as tls:
                return None if tls.version() else "no version"
    except (ssl.SSLError, OSError) as e:
        return f"{type(e).__name__}: {e}"


def test_https_with_hsts_and_secure_cookie(t):
    pki = Pki()
    srv, _, _ = tls_server(t, pki)
    try:
        t.eq(srv.url, f"https://127.0.0.1:{srv.port}", "wasl says it serves HTTPS")
        base = srv.url
        r = run("curl", "-sS", "--cacert", pki.ca, "-D", "-", "-o", "/dev/null", f"{base}/healthz")
        t.eq(r.returncode, 0, f"curl verifies the certificate against the CA: {r.stderr}")
        t.true("strict-transport-security: max-age=31536000" in r.stdout.lower(), f"HSTS header: {r.stdout}")
        r = run("curl", "-sS", "--cacert", pki.ca, "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json",
                "--data", DEMO_LOGIN, f"{base}/api/v1/session")
        cookie = [line for line in r.stdout.splitlines() if line.lower().startswith("set-cookie: wasl_session=")]
        t.true(r.stdout.startswith("HTTP/1.1 201") and cookie, f"login over HTTPS: {r.stdout} {r.stderr}")
        t.true("; Secure" in cookie[0], f"the session cookie is Secure (http.secure_cookies is off): {cookie[0]}")
        r = run("curl", "-sS", f"{base}/healthz")
        t.true(r.returncode != 0, "curl without the CA refuses the certificate")
        # At most TLS 1.1: the server ends the handshake. The same client with
        # TLS 1.2 gets in, so it is the server that refuses, not the client.
        t.eq(handshake(srv.port, pki.ca, ssl.TLSVersion.TLSv1_2), None, "TLS 1.2 handshake")
        err = handshake(srv.port, pki.ca, ssl.TLSVersion.TLSv1_1)
        t.true(err is not None and "NO_PROTOCOLS_AVAILABLE" not in err.upper(), f"TLS 1.1 refused by the server: {err}")
        r = run("curl", "-sS", "--cacert", pki.ca, "--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0",
                f"{base}/healthz")
        t.true(r.returncode != 0, f"curl --tls-max 1.1 is refused: {r.stdout}")
        # Plain HTTP to the HTTPS port gets no page.
        out = harness.raw_http(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=3)
        t.true(b"200 OK" not in out, f"plain HTTP on the HTTPS port: {out[:80]!r}")
    finally:
        srv.cleanup()
        pki.cleanup()


def test_certificate_reload_without_restart(t):
    pki = Pki()
    srv, cert_at, key_at = tls_server(t, pki)
    try:
        pid = srv.proc.pid
        t.eq(served_serial(pki, srv.port), 4097, "the first certificate")
        # A renewal and SIGHUP.
        pki.install(*pki.issue("second", 8194), cert_at, key_at)
        srv.proc.send_signal(signal.SIGHUP)
        t.eq(wait_serial(pki, srv.port, 8194), 8194, "after SIGHUP a new handshake gets the new certificate")
        # A renewal without a signal: the changed files are noticed.
        pki.install(*pki.issue("third", 12291), cert_at, key_at)
        t.eq(wait_serial(pki, srv.port, 12291), 12291, "a changed file is taken without a signal")
        # Half a renewal (a certificate whose key is not there yet) is refused; the pair in use stays.
        pem, _ = pki.issue("fourth", 16388)
        shutil.copyfile(pem, cert_at + ".new")
        os.rename(cert_at + ".new", cert_at)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "does not match the certificate" not in srv.log() and time.time() < deadline:
            time.sleep(0.1)
        t.true("does not match the certificate" in srv.log(), "the mismatched pair is refused loudly")
        t.eq(served_serial(pki, srv.port), 12291, "the pair in use stays")
        r = run("curl", "-sS", "--cacert", pki.ca, f"https://127.0.0.1:{srv.port}/healthz")
        t.eq(r.returncode, 0, f"still serving: {r.stderr}")
        t.eq(srv.proc.pid, pid, "the same process throughout")
        t.true(srv.proc.poll() is None, "still running")
    finally:
        srv.cleanup()
        pki.cleanup()


def test_slow_handshake_cut_off(t):
    # The head deadline counts from the connection's opening, so it covers the
    # TLS handshake: a ClientHello record announced (512 bytes) and trickled
    # a byte every half second is cut off at http.head_timeout.
    pki = Pki()
    srv, _, _ = tls_server(t, pki, **{"http.head_timeout": "2s"})
    try:
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"\x16\x03\x01\x02\x00")
        took = trickle_until_closed(s, 10)
        s.close()
        t.true(took is not None and 1.5 < took < 4, f"a trickled handshake closed after {took} s (head deadline 2 s)")
        r = run("curl", "-sS", "--cacert", pki.ca, f"https://127.0.0.1:{srv.port}/healthz")
        t.eq(r.returncode, 0, f"still serving: {r.stderr}")
    finally:
        srv.cleanup()
        pki.cleanup()


def test_bad_certificate_settings_refused_at_start(t):
    d = tempfile.mkdtemp(prefix="wasl-tls-bad-")
    try:
        junk = os.path.join(d, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        cases = [
            ({"http.tls_cert": junk}, "needs both"),
            ({"http.tls_cert": junk, "http.tls_key": junk}, "not a PEM certificate"),
            ({"http.tls_cert": os.path.join(d, "missing.pem"), "http.tls_key": junk}, "cannot read the certificate"),
            ({"http.listen": "0.0.0.0"}, "http.allow_plain"),
        ]
        for settings, want in cases:
            srv = harness.Server(t.srv.binary, backend="sqlite", settings=settings)
            try:
                srv.start()
                t.true(False, f"wasl started with {settings}")
            except RuntimeError as e:
                t.true(want in str(e), f"{settings}: the error says why ({want!r}): {str(e)[-400:]}")
            finally:
                srv.cleanup()
    finally:
        shutil.rmtree(d, ignore_errors=True)
