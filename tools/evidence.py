"""Evidence read from the headers of an incoming mail.

Pure functions, no ORM: they turn headers into facts (the sender, the
authentication verdict, TLS on our own entry hop, what the attachments are),
and ``verdict.decide`` turns them into a decision.
Everything here must be cheap and must never raise on hostile input.
"""

import email.header
import email.policy
import email.utils
import io
import ipaddress
import re
import zipfile
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

import authres
import idna
from lxml import etree
from publicsuffixlist import PublicSuffixList

try:
    from .pdf_invoice import IMAGE_MAGIC
except ImportError:  # a sibling of a script (tools/smtp_relay.py), not the addon's package
    from pdf_invoice import IMAGE_MAGIC

_PSL = PublicSuffixList()
_HEADER_FACTORY = email.policy.SMTP.header_factory

# RFC 3848: the "with" protocols that say the hop was protected by TLS (Exim
# writes them in lower case); Gmail writes SMTPS for implicit TLS.
TLS_PROTOCOLS = frozenset({"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "SMTPS"})
# Microsoft 365 / Exchange: "with Microsoft SMTP Server (version=TLS1_2, cipher=...)";
# without TLS the comment is missing.
_MICROSOFT = re.compile(r"(?:^|\s)with\s+Microsoft\s+SMTP\s+Server\b", re.IGNORECASE)
_MICROSOFT_TLS = re.compile(r"\s*\(\s*version=(TLS[0-9_.v]*)", re.IGNORECASE)

# --------------------------------------------------
# Sender
# --------------------------------------------------


def parse_headers(raw):
    """The headers of a raw mail, never raising: Python's RFC 5322 policy
    raises on some hostile headers (``Content-Type: text/plain; a*``); those
    are read with the lenient compat32 policy instead, so that the mail is
    still held, with its log."""
    try:
        return BytesHeaderParser(policy=email.policy.SMTP).parsebytes(raw)
    except Exception:  # noqa: BLE001
        return BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def clean_text(value):
    """Text that PostgreSQL stores: bytes the parser could not decode (kept
    as lone surrogates) become U+FFFD, NUL characters go."""
    if not isinstance(value, str):
        return value
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\x00", "")


def header_values(message, name):
    """The raw values of a header, never parsed by the email package's policy
    (whose parsers raise on some hostile input)."""
    name = name.lower()
    try:
        return [str(value) for key, value in message.raw_items() if key.lower() == name]
    except Exception:  # noqa: BLE001
        return []


def decoded(value):
    """A raw header value with its RFC 2047 encoded words decoded (as
    Odoo's ``decode_message_header``), or as it is when they are broken."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # noqa: BLE001 - a broken encoded word stays text
        return value


def normalize_domain(domain):
    """Lower-case A-label form of a domain (IDNA 2008), or None if invalid."""
    domain = (domain or "").strip().rstrip(".").lower()
    if not domain or len(domain) > 253 or any(c.isspace() for c in domain):
        return None
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode()
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    if not all(re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", lab) for lab in labels):
        return None
    return ascii_domain


# RFC 5322 §3.2.3 dot-atom (with RFC 6532 UTF-8): a local part that is one
# address to every reader, quoted or not.
_DOT_ATOM = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")


def sender_address(from_values):
    """The single mailbox of the From header(s), normalized, or None.

    RFC 5322 §3.6 allows exactly one From field; we also require exactly one
    mailbox and no group syntax, so that there is exactly one sender to judge.
    The email package's RFC 5322 parser does the parsing; where this Python
    offers ``getaddresses(..., strict=True)`` it must agree.
    """
    if len(from_values or ()) != 1:
        return None
    raw = str(from_values[0])
    if len(raw) > MAX_FROM:
        return None  # no real sender writes this much; the parser is not linear
    try:
        header = _HEADER_FACTORY("from", raw)
        groups = header.groups
    except Exception:  # noqa: BLE001 - the parser raises IndexError on some garbage
        return None
    if header.defects or len(groups) != 1 or groups[0].display_name is not None:
        return None
    if len(groups[0].addresses) != 1:
        return None
    address = groups[0].addresses[0]
    if not address.username or not address.domain:
        return None
    if not _DOT_ATOM.fullmatch(address.username):
        # A local part that needs quoting (``"a@b,"@c``): one address to the
        # parser, several to whoever joins it into a list of recipients.
        return None
    try:
        strict = email.utils.getaddresses([raw], strict=True)
    except TypeError:  # Python without the strict parser (before 3.11.10)
        strict = None
    if strict is not None and (len(strict) != 1 or "@" not in strict[0][1]):
        return None
    domain = normalize_domain(address.domain)
    if not domain:
        return None
    return f"{address.username.lower()}@{domain}"


def single_addresses(addresses):
    """The recipients of a mail of ours: each entry one mailbox that
    ``sender_address`` accepts, normalized, once, in order; anything else (a
    list, a quoted local part, no address) is left out, never split."""
    found = {}
    for address in addresses:
        if address and (checked := sender_address([str(address).strip()])):
            found.setdefault(checked)
    return list(found)


# RFC 5322 §3.6: fields a mail has at most once. A second one is read by one
# reader and not by another (a DKIM signature covers one Content-Type, Odoo's
# parser reads the other): such a mail is malformed.
SINGLETON_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-Id",
    "Content-Type",
    "MIME-Version",
)


def repeated_singleton(message):
    """The first RFC 5322 singleton header that appears more than once, or None."""
    counts = {}
    try:
        for key, _value in message.raw_items():
            key = key.strip().lower()
            counts[key] = counts.get(key, 0) + 1
    except Exception:  # noqa: BLE001 - garbled headers: the From check decides
        return None
    return next((name for name in SINGLETON_HEADERS if counts.get(name.lower(), 0) > 1), None)


def organizational_domain(domain):
    """The registrable domain (public suffix + one label), RFC 7489 §3.2."""
    domain = normalize_domain(domain)
    if not domain:
        return None
    return _PSL.privatesuffix(domain) or domain


def is_public_suffix(domain):
    """``co.uk`` or ``com``: a suffix under which anyone can register."""
    return _PSL.is_public(domain)


def parent_domains(domain):
    """``a.b.example.com`` -> ``[b.example.com, example.com]`` (no public suffix)."""
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    return [p for p in parents if not is_public_suffix(p)]


# --------------------------------------------------
# Authentication (RFC 8601)
# --------------------------------------------------


@dataclass
class AuthVerdict:
    result: str = "none"  # pass, fail, none
    details: list = field(default_factory=list)


def above_entry_hop(message, name, entry_host=None):
    """The values of header ``name`` written above our own entry hop.

    Our MTA and its milters prepend: their ``Authentication-Results`` stand
    above the ``Received`` header our entry host wrote (``by`` the entry host,
    or the topmost one when none is configured). Everything below it was
    written before the mail reached us, by the sender's side, whatever
    authserv-id it bears. No entry hop at all: nothing is ours.
    """
    name = name.lower()
    entry_host = (entry_host or "").strip().lower().rstrip(".")
    values = []
    try:
        items = message.raw_items()
        for key, value in items:
            key = key.lower()
            if key == name:
                values.append(str(value))
            elif key == "received":
                if not entry_host or _received(value)[2] == entry_host:
                    return values
    except Exception:  # noqa: BLE001 - garbled headers: no evidence
        return []
    return []


def authentication(ar_values, trusted_ids, from_domain):
    """Judge the Authentication-Results headers added by our own servers.

    Only headers whose authserv-id is in ``trusted_ids`` count (RFC 8601 §5
    and §7.1); anyone else can write such a header. ``fail`` means a trusted
    ``dmarc=fail``, a DKIM or SPF ``fail`` for the From's organizational
    domain, or passes that are none of them aligned with the From domain (DKIM
    ``header.d`` or SPF ``smtp.mailfrom`` in the same organizational domain,
    RFC 7489 §3.1). Comments never count: the parser keeps them apart from
    the properties. Headers of other authserv-ids are not even parsed.
    """
    verdict = AuthVerdict()
    trusted = {t.strip().lower() for t in trusted_ids if t and t.strip()}
    if not trusted:
        return verdict
    from_org = organizational_domain(from_domain)
    found = set()
    for value in ar_values or ():
        authserv_id = str(value).split(";", 1)[0].strip().split(None, 1)
        if not authserv_id or authserv_id[0].lower() not in trusted:
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + str(value)
            )
        except Exception:  # noqa: BLE001 - authres raises several syntax errors
            continue
        if (header.authserv_id or "").lower() not in trusted:
            continue
        for res in header.results:
            method, result = (res.method or "").lower(), (res.result or "").lower()
            props = {f"{p.type}.{p.name}".lower(): p.value for p in res.properties}
            verdict.details.append(f"{method}={result}")
            found.add(_judge(method, result, props, from_domain, from_org))
    aligned, unaligned, dmarc_fail = "aligned" in found, "unaligned" in found, "fail" in found
    if dmarc_fail or (unaligned and not aligned):
        verdict.result = "fail"
    elif aligned:
        verdict.result = "pass"
    return verdict


def _judge(method, result, props, from_domain, from_org):
    """One trusted result: ``fail``, ``aligned``, ``unaligned`` or None."""
    if method == "dmarc":
        if result == "fail":
            return "fail"
        if result == "pass":
            header_from = props.get("header.from") or from_domain
            return "aligned" if organizational_domain(header_from) == from_org else "unaligned"
        return None
    if method not in ("dkim", "spf") or result not in ("pass", "fail"):
        return None
    if method == "dkim":
        identity = props.get("header.d") or ""
    else:
        identity = (props.get("smtp.mailfrom") or "").rpartition("@")[2]
    is_aligned = bool(identity) and organizational_domain(identity) == from_org
    if result == "fail":
        # Our own server saw a broken signature, or a client the From's own
        # domain does not allow: against the mail.
        return "fail" if is_aligned else None
    return "aligned" if is_aligned else "unaligned"


# --------------------------------------------------
# TLS (RFC 5321 §4.4 trace fields, RFC 3848)
# --------------------------------------------------

MAX_TRACE = 4096  # a trace header longer than this is cut before it is read
MAX_FROM = 2048  # a From longer than this is malformed


def _strip_comments(text):
    """Blank out (nested) RFC 5322 comments, keeping offsets; an unclosed
    parenthesis stays text. One pass (quoted pairs ``\\(`` respected)."""
    opened, spans, escaped = [], [], False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and opened:
            escaped = True
        elif char == "(":
            opened.append(index)
        elif char == ")" and opened:
            start = opened.pop()
            if not opened:
                spans.append((start, index + 1))
    # comments inside an unclosed parenthesis: blanked too (as innermost-first does)
    spans.extend(_closed_inside(text, opened))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _closed_inside(text, unclosed):
    """The outermost closed comments between unclosed parentheses (each
    segment between two of them is balanced by construction)."""
    spans = []
    bounds = [*unclosed, len(text)]
    for first, last in zip(bounds, bounds[1:], strict=False):
        depth, start, escaped = 0, None, False
        for index in range(first + 1, last):
            char = text[index]
            if escaped:
                escaped = False
            elif char == "\\" and depth:
                escaped = True
            elif char == "(":
                start = index if depth == 0 else start
                depth += 1
            elif char == ")" and depth:
                depth -= 1
                if depth == 0:
                    spans.append((start, index + 1))
    return spans


def _clause(text, keyword):
    match = re.search(rf"(?:^|\s){keyword}\s+([^\s;]+)", text, re.IGNORECASE)
    return match.group(1) if match else None


def _entry_received(received_values, entry_host=None):
    """Our entry hop's ``Received`` header: ``(original, comments blanked)``.

    Only one Received header counts: the one stamped ``by`` our entry host,
    or, when none is configured, the topmost one (the last hop, ours).
    Lower hops were written by the sender's side and prove nothing.
    """
    entry_host = (entry_host or "").strip().lower().rstrip(".")
    for value in received_values or ():
        original, text, by_host = _received(value)
        if text is None or (entry_host and by_host != entry_host):
            continue
        return original, text
    return None, None


def _received(value):
    """A Received header read once: ``(original, comments blanked, by host)``."""
    try:
        original = " ".join(str(value)[:MAX_TRACE].split())
        text = _strip_comments(original)
    except Exception:  # noqa: BLE001
        return None, None, ""
    return original, text, (_clause(text, "by") or "").lower().rstrip(".")


def tls_evidence(received_values, entry_host=None):
    """Whether our own entry hop received the mail over TLS.

    Text in comments is ignored. Missing or garbled headers mean no
    evidence. Returns ``(used_tls, protocol or None)``.
    """
    original, text = _entry_received(received_values, entry_host)
    if text is None:
        return False, None
    microsoft = _MICROSOFT.search(text)
    if microsoft:
        # The comment right after the protocol, as the entry hop wrote it
        # (comments are blanked, not removed, so the offsets agree).
        version = _MICROSOFT_TLS.match(original, microsoft.end())
        if version:
            return True, f"Microsoft SMTP Server ({version.group(1)})"
        return False, "Microsoft SMTP Server"
    protocol = _clause(text, "with")
    protocol = protocol.upper() if protocol else None
    return protocol in TLS_PROTOCOLS, protocol


_ADDRESS_LITERAL = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\](?::\d+)?", re.IGNORECASE)


def entry_client(received_values, entry_host=None):
    """The client our entry hop saw: ``(ip, helo)``, either may be None.

    The IP is the one the MTA took from the TCP connection, never the
    client's own greeting (HELO), which is whatever the client chose to say:
    ``EHLO [<the supplier's SPF address>]`` must not pass SPF. See
    ``received_client`` for where each MTA writes it.
    """
    original, _text = _entry_received(received_values, entry_host)
    if original is None:
        return None, None
    return received_client(original)


def received_client(received):
    """``(ip, helo)`` of one ``Received`` header's ``from`` clause.

    The first word after ``from`` is the client's HELO for Postfix, Sendmail,
    Haraka, Gmail, Exchange, ZoneMTA and our relay; the MTA then writes what
    it saw of the TCP peer in the comment right after it:

    - Postfix, Sendmail, Haraka, Gmail, Mailgun, our relay:
      ``from helo (rdns [ip])`` -> the last address literal of that comment;
    - Microsoft Exchange: ``from helo (ip)`` -> the bare address;
    - Exim: ``from rdns ([ip] helo=x)`` or ``from [ip] (helo=x)``: the comment
      names the HELO (``helo=``), so the first word is Exim's, not the client's;
    - qmail: ``from rdns (HELO x) (info@ip)`` -> the comment after the HELO's;
    - ZoneMTA: ``from helo [ip]`` (no comment) -> the literal after the HELO.

    A HELO (an address literal included) never gives the IP. Nothing here
    raises on hostile input.
    """
    try:
        text = " ".join(str(received)[:MAX_TRACE].split())
        match = re.match(r"(?:received:\s*)?from\s+(\S+)\s*(.*)", text, re.IGNORECASE | re.DOTALL)
    except Exception:  # noqa: BLE001
        return None, None
    if not match:
        return None, None
    first, rest = match.group(1), match.group(2)
    comment, after = _leading_comment(rest)
    if comment is None:
        # Exim without a host name and with no other HELO: ``from [ip] by``;
        # ZoneMTA: ``from helo [ip] by``.
        if _literal_ip(first) and not re.match(r"\[", rest):
            return _literal_ip(first), None
        second = rest.split(None, 1)[0] if rest.split() else ""
        return _literal_ip(second), _helo(first)
    if re.match(r"HELO\s", comment, re.IGNORECASE):  # qmail
        # qmail writes the HELO as sent, ")" included: the peer is its last comment.
        helo = comment.split(None, 1)[1] if len(comment.split(None, 1)) > 1 else ""
        last, (peer, after) = "", _leading_comment(after)
        while peer is not None:
            last, (peer, after) = peer, _leading_comment(after)
        return _bare_ip(last.rpartition("@")[2]), _helo(helo)
    exim = re.search(r"(?:^|\s)helo=(\S*)", comment, re.IGNORECASE)
    if exim:
        before = comment[: exim.start()]
        literals = [ip for ip in map(_literal_ip, before.split()) if ip]
        return (literals[0] if literals else _literal_ip(first)), _helo(exim.group(1))
    literals = [_ip(m.group(1)) for m in _ADDRESS_LITERAL.finditer(comment)]
    literals = [ip for ip in literals if ip]
    ip = literals[-1] if literals else _bare_ip(comment)
    return ip, _helo(first)


def _leading_comment(text):
    """``(comment, rest)`` when ``text`` starts with a parenthesised comment
    (nested ones kept inside), else ``(None, text)``."""
    if not text.startswith("("):
        return None, text
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[1:index].strip(), text[index + 1 :].lstrip()
    return None, text


def _ip(value):
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _literal_ip(word):
    """The address of a whole ``[ip]``, ``[IPv6:ip]`` or ``[ip]:port`` word."""
    match = _ADDRESS_LITERAL.fullmatch(word or "")
    return _ip(match.group(1)) if match else None


def _bare_ip(value):
    value = (value or "").strip()
    return _literal_ip(value) or _ip(value)


def _helo(word):
    word = (word or "").strip().rstrip(".").lower()
    if not word or word.startswith(("[", "(")) or word == "unknown":
        return None
    return word


def envelope_sender(message):
    """The envelope sender our delivery agent wrote (the topmost
    ``Return-Path``), as an address; ``""`` for the null sender, None unknown.
    The sender chooses it in any case; SPF asks whether the client IP may use it."""
    values = header_values(message, "Return-Path")
    if not values:
        return None
    value = values[0].strip()[:512]
    if value.replace(" ", "") == "<>":
        return ""
    _name, address = email.utils.parseaddr(value)
    return address.lower() if "@" in address else None


# --------------------------------------------------
# Attachments
# --------------------------------------------------


def without_threading(raw):
    """``raw`` without its In-Reply-To and References headers (folded lines
    included), the body untouched: mail to a receiver is a new document, never
    a reply posted on an earlier one (maybe of another company)."""
    head = header_block(raw)
    kept, skipping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name in (b"in-reply-to", b"references")
        if not skipping:
            kept.append(line)
    return b"\n".join(kept) + raw[len(head) :]


def header_block(raw):
    """The header section of a raw mail (up to the first empty line)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end >= 0:
            return raw[: end + len(separator)]
    return raw


def attachment_bytes(attachment):
    """The content of a parsed mail's attachment (``(name, content, info)``) as bytes."""
    return content_bytes(attachment[1] if len(attachment) > 1 else b"")


def content_bytes(content):
    """Attachment content as bytes: Odoo gives text as ``str``, and a
    forwarded mail (``message/rfc822``) as the message object itself."""
    if hasattr(content, "as_bytes"):
        return content.as_bytes()
    if isinstance(content, str):
        return content.encode("utf-8", "replace")
    return content or b""


@dataclass(frozen=True)
class Document:
    """One attachment of a mail, looked at once: its name, bytes, kind (xml,
    pdf, zip or None), the XML tree (parsed without DTDs; None when refused or
    not XML), whether a PDF embeds a file (Factur-X), and for a ZIP archive
    why it was refused (``refused``), if it was; its members follow it as
    documents of their own (``archive``: the ZIP's name)."""

    name: str
    content: bytes
    kind: str | None
    tree: object = None
    embeds: bool = False
    refused: str = ""
    archive: str = ""


def documents(attachments, xml_tree=None):
    """``Document`` of each of a parsed mail's attachments, in order; the
    members of a ZIP archive (``archive_members``) right after it. ``xml_tree``
    parses XML (default ``safe_xml_tree``; the gateway's parses each file once
    per mail)."""
    xml_tree = xml_tree or safe_xml_tree
    found = []
    for attachment in attachments or ():
        content = attachment_bytes(attachment)
        name = attachment[0] or ""
        kind = sniff_kind(content)
        if kind == "zip" and _office_document(content):
            kind = None  # a .docx, .xlsx or .odt is a ZIP too, but no archive of invoices
        if kind != "zip":
            found.append(_document(name, content, kind, xml_tree=xml_tree))
            continue
        try:
            members = archive_members(content)
        except ArchiveRefused as refused:
            found.append(Document(name=name, content=content, kind="zip", refused=refused.problem))
            continue
        found.append(Document(name=name, content=content, kind="zip"))
        found.extend(
            _document(member, data, sniff_kind(data), archive=name, xml_tree=xml_tree)
            for member, data in members
        )
    return found


def _document(name, content, kind, archive="", xml_tree=None):
    return Document(
        name=name,
        content=content,
        kind=kind,
        tree=(xml_tree or safe_xml_tree)(content) if kind == "xml" else None,
        embeds=kind == "pdf" and pdf_has_embedded_file(content),
        archive=archive,
    )


# --------------------------------------------------
# ZIP archives of invoices
# --------------------------------------------------

ARCHIVE_MAX_MEMBERS = 100  # files in one archive
ARCHIVE_MAX_BYTES = 25 * 1024 * 1024  # all members, uncompressed
ARCHIVE_MAX_RATIO = 100  # uncompressed / compressed, per member


class ArchiveRefused(Exception):  # noqa: N818 - a verdict, not a programming error
    """A ZIP archive that is not opened: ``problem`` says why."""

    def __init__(self, problem):
        super().__init__(problem)
        self.problem = problem


def _office_document(content):
    """An Office Open XML or OpenDocument file (their names are in the ZIP's
    central directory, read without decompressing anything)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()[: ARCHIVE_MAX_MEMBERS + 1]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False
    return "[Content_Types].xml" in names or "mimetype" in names


def archive_members(content):
    """``[(name, bytes)]`` of the files in a ZIP archive, bounded: at most
    ``ARCHIVE_MAX_MEMBERS`` files and ``ARCHIVE_MAX_BYTES`` uncompressed, no
    member compressed more than ``ARCHIVE_MAX_RATIO`` times (a ZIP bomb), none
    encrypted; sizes are checked as read, not as declared. Folders, hidden
    files and archives inside the archive are skipped (one level only).
    Raises ``ArchiveRefused`` (``too_many_files``, ``too_large``, ``bomb``,
    ``encrypted``, ``damaged``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content_bytes(content)))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ArchiveRefused("damaged") from error
    files = [info for info in infos if not info.is_dir()]
    if len(files) > ARCHIVE_MAX_MEMBERS:
        raise ArchiveRefused("too_many_files")
    members, total = [], 0
    for info in files:
        name = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not name or name.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        if info.flag_bits & 0x1:
            raise ArchiveRefused("encrypted")
        limit = min(
            ARCHIVE_MAX_BYTES - total,
            max(info.compress_size, 1) * ARCHIVE_MAX_RATIO,
        )
        try:
            with archive.open(info) as stream:
                data = stream.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError) as error:
            raise ArchiveRefused("damaged") from error
        if len(data) > limit:
            raise ArchiveRefused("too_large" if total + len(data) > ARCHIVE_MAX_BYTES else "bomb")
        total += len(data)
        if sniff_kind(data) == "zip":
            continue  # an archive in the archive: not opened
        members.append((name, data))
    return members


_FILE_NAME = re.compile(rb"(?:file)?name\*?\s*=", re.IGNORECASE)


def names_a_file(raw):
    """Whether any MIME part of a raw mail names a file (``filename=`` or
    ``name=``): a mail whose parts the parser could not read may still have
    carried one, and is not a mail without a document."""
    return bool(_FILE_NAME.search(raw or b""))


def sniff_kind(content):
    """``xml``, ``pdf``, ``zip``, ``image`` (PNG, JPEG, TIFF) or None from the
    first bytes, whatever the declared type."""
    content = content_bytes(content)
    start = re.match(rb"(?:\xef\xbb\xbf)?\s*", content).end()
    head = content[start : start + 16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if content.startswith(IMAGE_MAGIC):
        return "image"
    if head.startswith(b"<"):
        return "xml"
    return None


PAGE_PICTURE_PIXELS = 600  # a photo or scan of a page is larger than a logo both ways


def page_picture(content):
    """A picture (PNG, JPEG, TIFF) large enough to be a photo or a scan of a
    page, not a logo or a signature's icon: its header's size, read lazily."""
    if sniff_kind(content) != "image":
        return False
    from PIL import Image  # noqa: PLC0415 - Odoo's own dependency

    try:
        with Image.open(io.BytesIO(content_bytes(content))) as picture:
            width, height = picture.size
    except Exception:  # noqa: BLE001 - a damaged picture is no page
        return False
    return min(width, height) >= PAGE_PICTURE_PIXELS


def pdf_has_embedded_file(content):
    """A PDF that carries an attached file (Factur-X, ZUGFeRD), by its name tree."""
    return b"/EmbeddedFile" in content_bytes(content)


def safe_xml_tree(content):
    """Parse XML without DTDs: no entity expansion, no network, no DTD loading.

    A document that declares a DOCTYPE is refused outright (returns None):
    e-invoices never need one, and it is how entity attacks ("billion
    laughs", external entities) arrive.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None
    return root
