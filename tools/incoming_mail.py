"""One incoming mail, as the gateway sees it: parsed once, never changed.

``IncomingMail.parse`` is the only place the gateway parses a mail's headers
(Odoo's ``message_process`` parses the whole mail once more, for its own
routing and attachments). Every step of ``email.receiver._gateway_receive``
reads the same object: the raw bytes, the headers, the content key, the size,
the recipient addresses and the values of the log. A ``Delivery`` carries it
across Odoo's core, as the one value of the path, in the arguments Odoo
hands its hooks (``custom_values``, ``message_dict``, the routes).
"""

import hashlib
import re
from dataclasses import dataclass, field
from types import MappingProxyType

from odoo.tools.mail import email_split

from . import evidence

# Where a receiver's address may stand: the envelope (as the MTA, the relay
# or the endpoint stamps it) and the headers Odoo's routing reads.
RECIPIENT_HEADERS = (
    "Delivered-To",
    "X-Original-To",
    "To",
    "Cc",
    "Resent-To",
    "Resent-Cc",
)
# The sender's own headers: relays add trace headers, so the content key
# covers these and the body, never the whole raw mail.
KEY_HEADERS = ("Message-Id", "From", "Date", "Subject")
_BODY_START = re.compile(rb"\r?\n\r?\n")


class Headers(tuple):
    """A mail's header fields, ``(name, raw value)`` in order, read-only; with
    ``raw_items()`` as ``email.message.Message`` offers it to the evidence."""

    __slots__ = ()

    def raw_items(self):
        return iter(self)


@dataclass(frozen=True)
class IncomingMail:
    """An incoming mail. Build it with ``parse``; every field is computed once,
    and none can change: bytes, strings, tuples."""

    raw: bytes
    headers: Headers = field(repr=False, compare=False)
    key: str
    recipients: tuple
    message_id: str
    email_from: str
    subject: str
    auto_submitted: str
    is_bounce: bool
    # Sent by a machine (``is_automatic``): never answered automatically.
    automatic: bool
    # Entered through the mail gateway (the HTTP endpoint, the relay, fetchmail
    # and crons, or a member of the Mail gateway group: odoo-mailgate), so that
    # its trace headers were written by our own servers. Otherwise whoever
    # called ``message_process`` wrote them: they are no evidence.
    through_gateway: bool = False

    @classmethod
    def parse(cls, raw, envelope_recipients=(), through_gateway=False):
        """The mail of ``raw`` bytes. ``envelope_recipients`` (RCPT TO, from an
        authenticated delivery) become ``Delivered-To`` headers, as an MTA
        writes them, so that a receiver in Bcc is routed like one in To."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        stamps = b"".join(
            f"Delivered-To: {address}\r\n".encode()
            for address in dict.fromkeys(envelope_recipients or ())
        )
        raw = stamps + bytes(raw)
        parsed = evidence.parse_headers(raw)
        headers = Headers((str(name), str(value)) for name, value in parsed.raw_items())

        def text(name):
            values = evidence.header_values(headers, name)
            if not values:
                return ""
            try:  # decoded as Odoo's decode_message_header does
                return " ".join(str(value) for value in parsed.get_all(name, []) if value).strip()
            except Exception:  # noqa: BLE001 - keep the raw text of a garbled header
                return values[0].strip()

        report = _is_report(parsed)
        return cls(
            raw=raw,
            headers=headers,
            key=content_key(headers, raw),
            recipients=recipient_addresses(headers),
            message_id=text("Message-Id"),
            email_from=text("From")[:512],
            subject=text("Subject")[:512],
            auto_submitted=text("Auto-Submitted").lower(),
            is_bounce=report,
            automatic=is_automatic(headers, report),
            through_gateway=bool(through_gateway),
        )

    @property
    def size(self):
        return len(self.raw)

    def routed(self):
        """The bytes Odoo's routing gets: without threading headers, so that
        mail to a receiver is a new document, never a reply posted on an
        earlier one (maybe another company's). The log keeps ``raw``."""
        return evidence.without_threading(self.raw)

    def log_values(self):
        """The values of the log of this mail (a new dict each time)."""
        return {
            "message_id": self.message_id,
            "email_from": self.email_from,
            "subject": self.subject,
            "content_key": self.key,
            "raw": self.raw,
            "auto_submitted": self.auto_submitted,
            "is_bounce": self.is_bounce,
            "automatic": self.automatic,
            "through_gateway": self.through_gateway,
        }


@dataclass(frozen=True)
class Release:
    """A held mail being released: only this receiver's route may take it.
    ``overrule``: the reasons of the document checks that whoever releases
    may overrule (the administrator rule); the release runs those checks
    again, as for new mail."""

    receiver_id: int
    log_id: int
    overrule: frozenset = frozenset()


@dataclass(frozen=True, eq=False)
class Delivery:
    """The one value of a mail's path through Odoo's core: the mail,
    the alias ids of the receivers it is addressed to, those of them that
    still decide (the others hold it already), the log of the mail for each
    of those receivers (``log_ids``: receiver id -> log id, created when the
    mail entered, so that no later step searches for it), the verdict each
    of them reached (``verdicts``: receiver id -> the log's values, filled by
    ``_alias_get_error``, which writes nothing, and recorded in the log by
    ``message_new`` or the outcome), the stage each verdict left its log in
    (``stages``: receiver id -> held or accepted, so that the outcome reads
    no log back), and a release, when our own release action started it.

    It travels as an argument: the gateway hands it to Odoo's
    ``message_process`` in ``custom_values``; ``message_route`` puts it in the
    ``message_dict`` for the hooks Odoo calls while it routes (the alias
    check, the bounce), then in the custom values of the receivers' routes,
    which Odoo gives ``message_new``. It is a Python object that JSON cannot
    express, so no RPC caller can send one (``delivery_in``)."""

    mail: IncomingMail = field(repr=False)
    alias_ids: frozenset
    deciding_alias_ids: frozenset
    log_ids: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    release: Release | None = None
    verdicts: dict = field(default_factory=dict, repr=False)
    stages: dict = field(default_factory=dict, repr=False)

    def routes_to(self, alias):
        """Whether ``alias`` is the address of a receiver this mail is for."""
        return bool(alias) and alias.id in self.alias_ids


# The key of the delivery in Odoo's custom_values and message_dict.
DELIVERY = "email_receiver_delivery"


def delivery_in(values):
    """The delivery that ``values`` (Odoo's ``message_dict``, or the
    ``custom_values`` the gateway gave ``message_process``) carries, if our own
    gateway put it there: anything else under that key, e.g. from an RPC
    caller of the public ``message_process`` or ``message_new``, is none."""
    delivery = values.get(DELIVERY) if values else None
    return delivery if isinstance(delivery, Delivery) else None


def content_key(headers, raw):
    """Identity of a message for one receiver: Message-Id *and* content.
    A forger reusing a real Message-Id with other content gets another key."""
    digest = hashlib.sha256()
    for name in KEY_HEADERS:
        value = " ".join(evidence.header_values(headers, name)).strip()
        digest.update(value.encode("utf-8", "replace") + b"\0")
    match = _BODY_START.search(raw)
    digest.update(raw[match.end() :] if match else b"")
    return digest.hexdigest()


def recipient_addresses(headers):
    """Every address in the recipient headers, lower case, in order, once."""
    found = {}
    for name in RECIPIENT_HEADERS:
        for value in evidence.header_values(headers, name):
            try:
                # decoded as Odoo's routing decodes it (=?utf-8?...?= words)
                addresses = email_split(evidence.decoded(value))
            except Exception:  # noqa: BLE001, S112 - garbled headers route nowhere
                continue
            found.update(dict.fromkeys(address.lower() for address in addresses))
    return tuple(found)


# Precedence values of mailing lists and bulk mail (RFC 2076, RFC 3834 §2).
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})
# Local parts of mailers' own addresses (RFC 2142, RFC 3834 §3.1.3).
_MAILER_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})


def is_automatic(headers, is_report=False):
    """Whether a mail was sent by a machine, not by a person, so that no
    automatic mail answers it (RFC 3834 §2): ``Auto-Submitted`` other than
    ``no``; a mailing list's or bulk mail's mark (``List-Id``,
    ``Precedence: bulk``, ``X-Auto-Response-Suppress``); a report or bounce
    (``multipart/report``, a null ``Return-Path``, a mailer's own address)."""

    def values(name):
        return [" ".join(str(v).split()).lower() for v in evidence.header_values(headers, name)]

    if is_report:
        return True
    if any(value.partition(";")[0].strip() != "no" for value in values("Auto-Submitted")):
        return True
    if values("List-Id") or values("List-Unsubscribe") or values("X-Auto-Response-Suppress"):
        return True
    if _BULK_PRECEDENCE & {value.strip() for value in values("Precedence")}:
        return True
    if evidence.envelope_sender(headers) == "":
        return True  # the null sender: a bounce or another report
    for value in values("From") + values("Sender"):
        for address in email_split(value):
            if address.partition("@")[0].lower() in _MAILER_LOCAL_PARTS:
                return True
    return False


def _is_report(headers):
    try:
        return headers.get_content_type() == "multipart/report"
    except Exception:  # noqa: BLE001 - a garbled Content-Type is no report
        return False
