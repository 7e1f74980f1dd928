"""A private Dovecot IMAP server on loopback for the tests (a real server, not a mock).

It stands for the mailbox provider an integrator points Odoo's incoming
mail server at: IMAP over SSL (``imaps``) on a free port of 127.0.0.1, one
mailbox (a passwd-file user, a Maildir in a temporary folder), a
self-signed certificate. The system's Dovecot is neither used nor touched:
the instance has its own configuration file (``dovecot -c FILE``), run and
state folders and log file. The tests fill the mailbox over IMAP
(``APPEND``), as the provider's delivery would.
"""

import imaplib
import shutil
import ssl
import subprocess
import time
from pathlib import Path

from ..tools.smtp_relay import ensure_certificate
from .servers import PrivateServer, free_port

DOVECOT = "/usr/sbin/dovecot"
DH = Path("/usr/share/dovecot/dh.pem")  # Debian's DH parameters, as its own config uses
MAIL_USER = "nobody"  # the mailbox files belong to this user, never to root

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
{dh}
auth_mechanisms = plain
disable_plaintext_auth = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot(PrivateServer):
    """``with Dovecot(login, password) as imap:`` (or ``start()``/``stop()``)
    runs Dovecot with one mailbox ``login`` on ``127.0.0.1:port`` over SSL."""

    name, binary, pid_file = "Dovecot", DOVECOT, "run/master.pid"

    def __init__(self, login, password, hostname="imap.provider.test"):
        self.login, self.password, self.hostname = login, password, hostname
        self.port = None

    def _run(self):
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir(mode=0o755)
        shutil.chown(self.root / "home", MAIL_USER)
        cert, key = ensure_certificate(self.root / "tls", self.hostname)
        (self.root / "users").write_text(f"{self.login}:{{PLAIN}}{self.password}\n")
        self.port = free_port()
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                cert=cert,
                key=key,
                dh=f"ssl_dh = <{DH}" if DH.exists() else "",
                mail_user=MAIL_USER,
                mail_group=_group_of(MAIL_USER),
                port=self.port,
            )
        )
        self._dovecot()
        self._wait_listening()

    def _halt(self):
        self._dovecot("stop", check=False)

    def _dovecot(self, *command, check=True):
        # Its daemons keep the standard streams open: errors go to a file.
        errors = self.root / "dovecot.stderr"
        with errors.open("a") as stderr:
            done = subprocess.run(
                [DOVECOT, "-c", str(self.config), *command],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                timeout=60,
                check=False,
            )
        if check and done.returncode:
            raise RuntimeError(
                f"dovecot {' '.join(command) or 'start'} failed ({done.returncode}): "
                f"{errors.read_text(errors='replace')}{self.log()}"
            )
        return done

    def _wait_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.client():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"Dovecot did not answer on {self.port}: {self.log()}")

    def log(self):
        try:
            return (self.root / "dovecot.log").read_text(errors="replace")
        except (OSError, TypeError):
            return ""

    # --------------------------------------------------
    # The mailbox, as the provider's delivery and a mail client see it
    # --------------------------------------------------

    def client(self):
        """A logged-in IMAP client of the mailbox (use it in ``with``)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        client = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=30)
        try:
            client.login(self.login, self.password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def deliver(self, raw):
        """Put ``raw`` in the INBOX, unread, as the provider's delivery does."""
        with self.client() as client:
            status, answer = client.append("INBOX", None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND refused: {answer}")

    def mark_unread(self):
        """Every mail unread again: as when a fetch ended before it could
        flag what it had read (a dropped connection), so the next fetch
        takes the same mail again."""
        with self.client() as client:
            client.select("INBOX")
            client.store("1:*", "-FLAGS", "\\Seen")

    def unread(self):
        """How many mails of the INBOX are unread."""
        with self.client() as client:
            client.select("INBOX", readonly=True)
            _status, data = client.search(None, "UNSEEN")
            return len(data[0].split()) if data and data[0] else 0


def _group_of(user):
    import grp  # noqa: PLC0415
    import pwd  # noqa: PLC0415

    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
