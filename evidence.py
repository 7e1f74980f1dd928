"""Evidence read from the headers of an incoming mail.

Pure functions, no ORM: they turn headers into facts (the sender, the
authentication verdict, TLS on our own entry hop, what the attachments are),
and ``email.receiver._gateway_decide`` turns the facts into a decision.
Everything here must be cheap and must never raise on hostile input.
"""

import email.policy
import email.utils
import re
from dataclasses import dataclass, field

import authres
import idna
from lxml import etree
from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()
_HEADER_FACTORY = email.policy.SMTP.header_factory

# RFC 3848: the "with" protocols that say the hop was protected by TLS.
TLS_PROTOCOLS = frozenset({"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA"})

# --------------------------------------------------
# Sender
# --------------------------------------------------


def header_values(message, name):
    """The raw values of a header, never parsed by the email package's policy
    (whose parsers raise on some hostile input)."""
    name = name.lower()
    try:
        return [str(value) for key, value in message.raw_items() if key.lower() == name]
    except Exception:  # noqa: BLE001
        return []


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


def authentication(ar_values, trusted_ids, from_domain):
    """Judge the Authentication-Results headers added by our own servers.

    Only headers whose authserv-id is in ``trusted_ids`` count (RFC 8601 §5
    and §7.1); anyone else can write such a header. ``fail`` means a trusted
    ``dmarc=fail``, or passes that are none of them aligned with the From
    domain (DKIM ``header.d`` or SPF ``smtp.mailfrom`` in the same
    organizational domain, RFC 7489 §3.1). Comments never count: the parser
    keeps them apart from the properties.
    """
    verdict = AuthVerdict()
    trusted = {t.strip().lower() for t in trusted_ids if t and t.strip()}
    if not trusted:
        return verdict
    from_org = organizational_domain(from_domain)
    aligned = unaligned = dmarc_fail = False
    for value in ar_values or ():
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
            if method == "dmarc":
                if result == "fail":
                    dmarc_fail = True
                elif result == "pass":
                    header_from = props.get("header.from") or from_domain
                    if organizational_domain(header_from) == from_org:
                        aligned = True
                    else:
                        unaligned = True
            elif method in ("dkim", "spf") and result == "pass":
                if method == "dkim":
                    identity = props.get("header.d") or ""
                else:
                    identity = (props.get("smtp.mailfrom") or "").rpartition("@")[2]
                if identity and organizational_domain(identity) == from_org:
                    aligned = True
                else:
                    unaligned = True
    if dmarc_fail or (unaligned and not aligned):
        verdict.result = "fail"
    elif aligned:
        verdict.result = "pass"
    return verdict


# --------------------------------------------------
# TLS (RFC 5321 §4.4 trace fields, RFC 3848)
# --------------------------------------------------

_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def _strip_comments(text):
    """Remove (nested) RFC 5322 comments, innermost first."""
    previous = None
    while previous != text:
        previous, text = text, _COMMENT.sub(" ", text)
    return text


def _clause(text, keyword):
    match = re.search(rf"(?:^|\s){keyword}\s+([^\s;]+)", text, re.IGNORECASE)
    return match.group(1) if match else None


def tls_evidence(received_values, entry_host=None):
    """Whether our own entry hop received the mail over TLS.

    Only one Received header counts: the one stamped ``by`` our entry host,
    or, when none is configured, the topmost one (the last hop, ours).
    Lower hops were written by the sender's side and prove nothing. Text in
    comments is ignored. Missing or garbled headers mean no evidence.
    Returns ``(used_tls, protocol or None)``.
    """
    entry_host = (entry_host or "").strip().lower().rstrip(".")
    for value in received_values or ():
        try:
            text = _strip_comments(" ".join(str(value).split()))
        except Exception:  # noqa: BLE001
            continue
        by_host = (_clause(text, "by") or "").lower().rstrip(".")
        if entry_host and by_host != entry_host:
            continue
        protocol = _clause(text, "with")
        protocol = protocol.upper() if protocol else None
        return protocol in TLS_PROTOCOLS, protocol
    return False, None


# --------------------------------------------------
# Attachments
# --------------------------------------------------


def sniff_kind(content):
    """``xml``, ``pdf`` or None from the first bytes, whatever the declared type."""
    content = content or b""
    if isinstance(content, str):
        content = content.encode("utf-8", "replace")
    start = re.match(rb"(?:\xef\xbb\xbf)?\s*", content).end()
    head = content[start : start + 16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"<"):
        return "xml"
    return None


def pdf_has_embedded_file(content):
    """A PDF that carries an attached file (Factur-X, ZUGFeRD), by its name tree."""
    return b"/EmbeddedFile" in (content or b"")


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
