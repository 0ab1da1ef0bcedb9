"""A small SMTP server for the mail tests: just enough of the protocol to
take mail (EHLO, AUTH, MAIL, RCPT, DATA, QUIT), on a free loopback port, in
a thread. It offers what it is given in EHLO (never STARTTLS unless told)
and keeps every command line it got and every message."""
import base64
import email
import email.header
import socket
import socketserver
import threading
import time


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        srv = self.server
        self.wfile.write(b"220 test ESMTP\r\n")
        rcpt, sender = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            srv.lines.append(line)
            cmd = line.decode("ascii", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                ext = [b"test"] + [e.encode() for e in srv.extensions]
                self.wfile.write(b"".join(b"250-" + e + b"\r\n" for e in ext[:-1]) + b"250 " + ext[-1] + b"\r\n")
            elif verb == "AUTH":
                self.wfile.write(b"235 ok\r\n")
            elif verb == "MAIL":
                sender = cmd
                self.wfile.write(b"250 ok\r\n")
            elif verb == "RCPT":
                rcpt.append(cmd)
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while True:
                    l2 = self.rfile.readline()
                    if not l2 or l2 == b".\r\n":
                        break
                    data += l2[1:] if l2.startswith(b"..") else l2
                if srv.delay:
                    time.sleep(srv.delay)  # a slow server: the sender waits for each mail
                if srv.before_yes:
                    srv.before_yes(data)  # what a test does between the message and the server's yes
                srv.mails.append({"from": sender, "rcpt": rcpt, "data": data})
                rcpt = []
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class SmtpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, extensions=("8BITMIME",), delay=0.0, host="127.0.0.1"):
        """host: the address to listen on (the cluster lab's bridge, for
        nodes in other network namespaces)."""
        self.extensions = list(extensions)
        self.delay = delay
        self.before_yes = None
        self.lines = []
        self.mails = []
        s = socket.socket()
        s.bind((host, 0))
        self.port = s.getsockname()[1]
        s.close()
        super().__init__((host, self.port), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def mails_to(self, address, n, timeout=15):
        """The first n mails received for address as (decoded subject, body),
        waiting (at most timeout s) for them to arrive."""
        deadline = time.time() + timeout
        while True:
            got = [m for m in self.mails if any(address in r for r in m["rcpt"])]
            if len(got) >= n or time.time() > deadline:
                break
            time.sleep(0.2)
        out = []
        for m in got:
            msg = email.message_from_bytes(m["data"])
            out.append((str(email.header.make_header(email.header.decode_header(msg["Subject"]))),
                        base64.b64decode(msg.get_payload()).decode("utf-8")))
        return out
