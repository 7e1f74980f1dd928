"""A private Postfix instance on loopback for the tests (a real MTA, not a mock).

Its configuration is the documented one, ``readme/develop/postfix/main.cf``
and ``master.cf`` with their placeholders filled in, plus what makes the
instance private (its own directories, loopback only, its own log file,
no chroot): the system's Postfix is neither used nor touched. Mail for the
alias domain goes through the ``odoo`` pipe service to Odoo's own
``odoo-mailgate.py``.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..tools.smtp_relay import ensure_certificate
from .servers import PrivateServer, free_port

POSTFIX = "/usr/sbin/postfix"
DOCUMENTED = Path(__file__).resolve().parent.parent / "readme" / "develop" / "postfix"
# Postfix's own services (its default master.cf, chroot off), under the documented lines.
SERVICES = """\
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
"""
DONE = re.compile(r"status=(sent|bounced|deferred|expired)\b")


def mailgate_script():
    import odoo.addons.mail  # noqa: PLC0415 - the installed Odoo's own script

    return Path(odoo.addons.mail.__file__).parent / "static" / "scripts" / "odoo-mailgate.py"


def _world_executable(path):
    """Whether an unprivileged user can run ``path`` (every folder on the way
    searchable, the file readable and executable by others)."""
    path = Path(os.path.realpath(path))
    folders_ok = all(os.stat(folder).st_mode & 0o001 for folder in path.parents)
    return folders_ok and (os.stat(path).st_mode & 0o005) == 0o005


def python_for(user):
    """The tests' interpreter (``sys.executable``) when ``user`` can run it,
    else the system's python3 (odoo-mailgate.py needs the standard library only)."""
    if _world_executable(sys.executable):
        return sys.executable
    system = shutil.which("python3", path="/usr/bin:/bin")
    if system and _world_executable(system):
        return system
    raise RuntimeError(f"no python3 that {user} can run for odoo-mailgate.py")


class Postfix(PrivateServer):
    """``with Postfix(...) as mta:`` (or ``start()``/``stop()``) runs Postfix
    with ``postfix -c DIR start`` on ``127.0.0.1:smtp_port``, delivering mail
    for ``alias_domain`` to Odoo at ``http://127.0.0.1:http_port`` as the
    user ``uid`` (password or API key ``password``) of database ``database``."""

    name, binary, pid_file = "Postfix", POSTFIX, "queue/pid/master.pid"

    def __init__(
        self,
        *,
        database,
        uid,
        password,
        http_port,
        alias_domain,
        hostname="mx.receiver.test",
        user="nobody",
        host="127.0.0.1",
    ):
        self.hostname, self.alias_domain, self.user = hostname, alias_domain, user
        self.values = {
            "HOSTNAME": hostname,
            "ALIAS_DOMAIN": alias_domain,
            "USER": user,
            "MAILGATE": str(mailgate_script()),
            "HOST": host,
            "PORT": str(http_port),
            "DB": database,
            "UID": str(uid),
            "PASSWORD": password,
        }
        self.port = None

    # --------------------------------------------------
    # Life cycle (PrivateServer: start, stop)
    # --------------------------------------------------

    def _run(self):
        # Postfix's daemons run as its mail_owner and the pipe as self.user.
        self.config_dir = self.root / "etc"
        self.config_dir.mkdir()
        self.maillog = self.root / "maillog"
        # Postfix makes what is inside: the queue is root's, the data its mail_owner's.
        (self.root / "queue").mkdir(mode=0o755)
        (self.root / "data").mkdir(mode=0o700)
        shutil.chown(self.root / "data", "postfix", "postfix")
        cert, key = ensure_certificate(self.root / "tls", self.hostname)
        # The installed Odoo's script, copied where the pipe's user can read
        # it: a checkout (and the Odoo inside it) may be in a folder only its
        # owner can enter, as a fresh clone in a mktemp folder is.
        mailgate = self.root / "odoo-mailgate.py"
        shutil.copyfile(mailgate_script(), mailgate)
        mailgate.chmod(0o755)
        self.port = free_port()
        self.values.update(
            {
                "MAILGATE": str(mailgate),
                "SMTPD": f"127.0.0.1:{self.port}",
                "PYTHON": python_for(self.user),
                "TLS_CERT": str(cert),
                "TLS_KEY": str(key),
            }
        )
        private = "\n".join(
            [
                "# The private test instance: its own directories and log, loopback only.",
                f"queue_directory = {self.root / 'queue'}",
                f"data_directory = {self.root / 'data'}",
                "mail_owner = postfix",
                "inet_interfaces = loopback-only",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "alias_maps =",
                "alias_database =",
                f"maillog_file = {self.maillog}",
                f"maillog_file_prefixes = {self.root}",
                "smtputf8_enable = no",
                # Nothing leaves loopback: a bounce to a sender is dropped.
                "default_transport = discard",
                "",
            ]
        )
        (self.config_dir / "main.cf").write_text(self.documented("main.cf") + "\n" + private)
        (self.config_dir / "master.cf").write_text(self.documented("master.cf") + "\n" + SERVICES)
        self.postfix("check")
        self.postfix("start")
        self._wait_listening()

    def _halt(self):
        self.postfix("stop", check=False)

    def documented(self, name):
        """The documented file with its placeholders filled in."""
        lines = (DOCUMENTED / name).read_text().splitlines()
        return "".join(
            re.sub(r"@([A-Z_]+)@", lambda m: self.values[m.group(1)], line) + "\n"
            for line in lines
            if not line.startswith("#")  # the comments name the placeholders
        )

    def postfix(self, command, check=True):
        done = subprocess.run(
            [POSTFIX, "-c", str(self.config_dir), command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and done.returncode:
            raise RuntimeError(
                f"postfix {command} failed ({done.returncode}): {done.stderr}{self.log()}"
            )
        return done

    def _wait_listening(self, timeout=30):
        import socket  # noqa: PLC0415

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(512).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Postfix did not listen on {self.port}: {self.log()}")

    # --------------------------------------------------
    # The log
    # --------------------------------------------------

    def log(self):
        try:
            return self.maillog.read_text(errors="replace")
        except OSError:
            return ""

    def wait_delivery(self, queue_id, timeout=120):
        """The delivery line (``status=sent``, ``bounced``, ``deferred``) of
        ``queue_id`` in Postfix's log: waits until the pipe is done."""
        deadline = time.monotonic() + timeout
        pattern = re.compile(rf"\b{re.escape(queue_id)}: to=<.*")
        while time.monotonic() < deadline:
            for match in pattern.finditer(self.log()):
                if DONE.search(match.group(0)):
                    return match.group(0)
            time.sleep(0.2)
        raise AssertionError(f"Postfix did not deliver {queue_id}:\n{self.log()[-4000:]}")
