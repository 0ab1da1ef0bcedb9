"""Issue 10: the audit trail's signed checkpoints mailed to an auditor through
the outbox and a real SMTP conversation (tests/api/smtp_server.py), so a
copy of the head lives where the database's administrator cannot reach it;
the auditor verifies the trail with the mails and the public key alone."""
import os

from smtp_server import SmtpServer

sink = SmtpServer()

AUDITOR = "auditor@example.org"
SETTINGS = {"smtp.enabled": "true", "smtp.url": f"smtp://127.0.0.1:{sink.port}", "smtp.from": "centre@consulat.example",
            "cases.tick_seconds": "1", "cases.demo_cases": "0", "audit.mail_to": AUDITOR}


def test_checkpoint_mailed_to_the_auditor(t):
    mails = sink.mails_to(AUDITOR, 1)
    t.true(mails, "the checkpoint signed at start reached the auditor")
    subject, body = mails[0]
    t.true(subject.startswith("wasl audit checkpoint "), subject)
    line = [x for x in body.splitlines() if x.startswith("wasl-audit-checkpoint v1 ")]
    t.eq(len(line), 1, f"one checkpoint line in the mail: {body}")
    pk = t.srv.cli("audit", "public-key").stdout.strip()
    t.true(f"Public key: {pk}" in body, "the public key is in the mail")
    # The auditor's copy: the mail as saved, and the key they were given.
    saved = os.path.join(t.srv.dir, "auditor-mail.txt")
    with open(saved, "w") as f:
        f.write(body)
    r = t.srv.cli("audit", "verify", "--checkpoints", saved, "--public-key", pk)
    t.eq(r.returncode, 0, f"verified against the mailed checkpoint: {r.stdout}{r.stderr}")
    t.true("1 signed checkpoint(s)" in r.stdout, r.stdout)
    # The same mail tells the newest entries were deleted.
    seq = int(line[0].split(" seq=")[1].split()[0])
    newest = t.srv.cli("audit", "list", "1").stdout.split()
    t.true(newest and int(newest[0]) >= seq, f"the head is at or after the mailed one: {newest}")
    tampered = os.path.join(t.srv.dir, "auditor-mail-tampered.txt")
    with open(tampered, "w") as f:
        f.write(body.replace(f" seq={seq} ", f" seq={seq + 100} "))
    r = t.srv.cli("audit", "verify", "--checkpoints", tampered, "--public-key", pk)
    t.true(r.returncode == 1 and "bad_signature" in r.stdout, f"an edited mail does not verify: {r.stdout}")
