"""The reverse-proxy setup of docs/deploy.md, run: nginx with the documented
server block (its ports and certificate files replaced by the test's own)
terminating TLS in front of wasl on loopback with http.trusted_proxy.

Checked through the proxy: the login over HTTPS with a Secure cookie, HSTS,
an event stream that arrives unbuffered, and the client's address as wasl
sees it (http.metrics_from lets only 127.0.0.9 read /metrics: a client on
127.0.0.9 may, one on 127.0.0.1 may not, not even claiming 127.0.0.9 in its
own X-Forwarded-For).
"""
import os
import re
import shutil
import subprocess

from harness import Skip, free_port, telephony_settings, wait_listening
from test_https import Pki, run

SQLITE_ONLY = True  # the web layer is the same on both backends


_rtp = 30000 + 200 * (os.getpid() % 100)
SETTINGS = {"http.trusted_proxy": "127.0.0.1", "http.secure_cookies": "true", "http.metrics_from": "127.0.0.9",
            # the event stream needs the telephony (UDP only, no prompts)
            **telephony_settings(_rtp)}
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "deploy.md")


def documented_server_block():
    with open(DOC) as f:
        blocks = re.findall(r"```nginx\n(.*?)```", f.read(), re.S)
    if len(blocks) != 1:
        raise AssertionError(f"docs/deploy.md should have one nginx block, has {len(blocks)}")
    return blocks[0]


class Nginx:
    def __init__(self, pki, wasl_port):
        self.dir = pki.path("nginx")
        os.makedirs(os.path.join(self.dir, "tmp"))
        os.chmod(pki.dir, 0o755)  # nginx's workers run as another account
        self.port = free_port(udp=False)
        block = documented_server_block()
        for old, new in (("listen 443 ssl", f"listen 127.0.0.1:{self.port} ssl"),
                         ("/etc/ssl/wasl/fullchain.pem", pki.path("srv.pem")),
                         ("/etc/ssl/wasl/privkey.pem", pki.path("srv.key")),
                         ("http://127.0.0.1:8080", f"http://127.0.0.1:{wasl_port}")):
            if old not in block:
                raise AssertionError(f"the documented nginx block no longer has {old!r}")
            block = block.replace(old, new)
        tmp = os.path.join(self.dir, "tmp")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off;\nworker_processes 1;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log warn;\n"
                    f"events {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n"
                    f"    client_body_temp_path {tmp};\n    proxy_temp_path {tmp};\n    fastcgi_temp_path {tmp};\n"
                    f"    uwsgi_temp_path {tmp};\n    scgi_temp_path {tmp};\n{block}}}\n")
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        wait_listening(self.proc, self.port, "nginx", 15)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def curl(pki, url, *more):
    r = run("curl", "-sS", "--cacert", pki.ca, "-D", "-", *more, url)
    head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
    return head, body, r


def test_nginx_terminating_tls_in_front(t):
    if not shutil.which("nginx"):
        raise Skip("nginx is not installed (scripts/deps.sh test)")
    pki = Pki()
    pki.issue("srv", 4097)
    proxy = Nginx(pki, t.srv.port)
    try:
        base = f"https://127.0.0.1:{proxy.port}"
        head, body, r = curl(pki, f"{base}/healthz")
        t.true(head.startswith("HTTP/2 200") or head.startswith("HTTP/1.1 200"), f"healthz through nginx: {head} {r.stderr}")
        t.true("strict-transport-security: max-age=31536000" in head.lower(), f"HSTS: {head}")
        # A browser's login: Origin is the proxy's address, the Host nginx passes on matches it.
        jar = pki.path("cookies")
        head, body, r = curl(pki, f"{base}/api/v1/session", "-c", jar, "-H", "Content-Type: application/json",
                             "-H", f"Origin: {base}", "--data", '{"login":"admin","password":"admin-demo-2026"}')
        t.true(" 201" in head.splitlines()[0], f"login through nginx: {head} {body}")
        cookie = [line for line in head.splitlines() if line.lower().startswith("set-cookie: wasl_session=")]
        t.true(cookie and "; Secure" in cookie[0], f"the session cookie is Secure: {cookie}")
        # An event stream through the proxy: its first event arrives while the stream stays open.
        r = run("curl", "-sS", "-N", "--cacert", pki.ca, "-b", jar, "--max-time", "5", f"{base}/api/v1/stream")
        t.true(r.returncode == 28 and "event:" in r.stdout, f"an event stream through nginx (rc {r.returncode}): "
               f"{r.stdout[:200]!r} {r.stderr}")
        # The client's address as wasl sees it.
        head, _, _ = curl(pki, f"{base}/metrics", "--interface", "127.0.0.9")
        t.true(" 200" in head.splitlines()[0], f"/metrics from 127.0.0.9 through nginx: {head}")
        head, _, _ = curl(pki, f"{base}/metrics", "--interface", "127.0.0.1")
        t.true(" 403" in head.splitlines()[0], f"/metrics from 127.0.0.1 (the proxy's own address): {head}")
        head, _, _ = curl(pki, f"{base}/metrics", "--interface", "127.0.0.1", "-H", "X-Forwarded-For: 127.0.0.9")
        t.true(" 403" in head.splitlines()[0], f"a forged X-Forwarded-For through nginx: {head}")
    finally:
        proxy.stop()
        pki.cleanup()
