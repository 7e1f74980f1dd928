"""Email authentication in process: DKIM, SPF, DMARC and ARC, as a milter does.

No ORM here. ``authenticate`` gathers the evidence with the libraries made for
it (dkimpy for DKIM and ARC, pyspf for SPF, authheaders' parser for the DMARC
record), asking DNS through one ``Dns`` object (dnspython, our nameservers and
time limit, answers cached within their TTL). ``judge`` turns the evidence into
one word, a pure function. A DNS timeout or SERVFAIL is ``temperror`` and never
counts as forged.
"""

import contextvars
import hashlib
import hmac
import ipaddress
import threading
from dataclasses import dataclass

import authres
import dkim
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import spf
from authheaders.dmarc_lookup import DMARCException, answer_to_dict
from authres.arc import ARCAuthenticationResult
from authres.dmarc import DMARCAuthenticationResult

try:
    from . import evidence
except ImportError:  # the development relay imports this file on its own
    import evidence

# Our authserv-id in the results we record, when no entry host is configured.
OWN_AUTHSERV_ID = "odoo"
ENFORCING = frozenset({"reject", "quarantine"})


class TempError(Exception):
    """DNS did not answer (timeout, SERVFAIL): try again later."""


# --------------------------------------------------
# DNS
# --------------------------------------------------


class Dns:
    """TXT (and SPF's A/MX/PTR...) lookups through one dnspython resolver.

    Answers are cached within their TTL (dnspython's LRU cache), so a
    supplier's keys and policy cost one query per TTL, not one per mail.
    """

    def __init__(self, nameservers=(), lifetime=5.0):
        resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            resolver.nameservers = [nameserver(spec) for spec in nameservers]
        resolver.lifetime = resolver.timeout = lifetime
        resolver.use_search_by_default = False
        resolver.cache = dns.resolver.LRUCache(4096)
        self.resolver = resolver
        self.lifetime = lifetime

    def resolve(self, name, rdtype):
        """The answer's records, [] for NXDOMAIN or no data; TempError otherwise."""
        try:
            answer = self.resolver.resolve(
                name, rdtype, raise_on_no_answer=False, search=False, lifetime=self.lifetime
            )
        except dns.resolver.NXDOMAIN:
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, OSError) as error:
            raise TempError(f"DNS {name} {rdtype}: {error.__class__.__name__}") from error
        except dns.exception.DNSException:
            return []  # a name that cannot be asked (too long, bad label)
        return list(answer.rrset or [])

    def txt(self, name):
        """The TXT strings at ``name``, each record joined."""
        return [b"".join(rr.strings) for rr in self.resolve(name, "TXT")]

    def dkim_key(self, name, timeout=None):
        """dkimpy's ``dnsfunc``: the first TXT record, or None."""
        records = self.txt(name.decode() if isinstance(name, bytes) else name)
        return records[0] if records else None

    def spf_lookup(self, name, qtype):
        """pyspf's ``DNSLookup`` contract: ``[((name, qtype), value), ...]``."""
        try:
            records = self.resolve(name, qtype)
        except TempError as error:
            raise spf.TempError(str(error)) from error
        values = []
        for rr in records:
            if qtype in ("A", "AAAA"):
                values.append(((name, qtype), rr.address))
            elif qtype == "MX":
                values.append(((name, qtype), (rr.preference, rr.exchange)))
            elif qtype == "PTR":
                values.append(((name, qtype), rr.target.to_text(True)))
            elif qtype in ("TXT", "SPF"):
                values.append(((name, qtype), rr.strings))
        return values


def nameserver(spec):
    """``host`` or ``host:port`` (IPv6 without a port) as a dnspython nameserver."""
    host, _sep, port = spec.rpartition(":") if spec.count(":") == 1 else (spec, "", "")
    return dns.nameserver.Do53Nameserver(host or spec, int(port) if port else 53)


_CLIENTS = {}
_CLIENTS_LOCK = threading.Lock()


def dns_client(nameservers=(), lifetime=5.0):
    """One ``Dns`` per configuration and process, so that its cache serves
    every mail (and every worker thread)."""
    key = (tuple(nameservers), float(lifetime))
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = Dns(*key)
        return client


# pyspf asks DNS through its module-level ``DNSLookup``; during our checks it
# goes through our resolver (this thread's or task's only), else as before.
_SPF_DNS = contextvars.ContextVar("email_receiver_spf_dns", default=None)
_SPF_DEFAULT_LOOKUP = spf.DNSLookup


def _spf_dns_lookup(name, qtype, strict=True, timeout=30):
    client = _SPF_DNS.get()
    if client is None:
        return _SPF_DEFAULT_LOOKUP(name, qtype, strict, timeout)
    return client.spf_lookup(name, qtype)


spf.DNSLookup = _spf_dns_lookup


# --------------------------------------------------
# Evidence
# --------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One method's result, as a milter records it (RFC 8601)."""

    method: str  # dkim, spf, dmarc, arc
    result: str  # pass, fail, none, temperror, permerror, softfail, neutral
    domain: str = ""  # dkim header.d, spf mail-from domain, dmarc header.from, arc sealer
    selector: str = ""  # dkim header.s
    policy: str = ""  # dmarc p= (or sp=) in force
    aligned: bool = False  # dkim/spf/arc: aligned with the From under the DMARC rules


@dataclass(frozen=True)
class Authentication:
    checks: tuple
    result: str  # pass, fail, none, temperror (see ``judge``)

    def summary(self):
        """``dkim=pass (supplier.example, s=mail), spf=none, dmarc=pass (p=reject)``."""
        parts = []
        for check in self.checks:
            facts = [
                fact
                for fact in (
                    check.domain,
                    check.selector and f"s={check.selector}",
                    check.policy and f"p={check.policy}",
                )
                if fact
            ]
            parts.append(
                f"{check.method}={check.result}" + (f" ({', '.join(facts)})" if facts else "")
            )
        return ", ".join(parts)

    def header(self, authserv_id):
        """The ``Authentication-Results`` value we would prepend as a milter."""
        results = []
        for check in self.checks:
            if check.method == "dkim":
                results.append(
                    authres.DKIMAuthenticationResult(
                        result=check.result,
                        header_d=check.domain or None,
                        header_s=check.selector or None,
                    )
                )
            elif check.method == "spf":
                results.append(
                    authres.SPFAuthenticationResult(
                        result=check.result, smtp_mailfrom=check.domain or None
                    )
                )
            elif check.method == "dmarc":
                results.append(
                    DMARCAuthenticationResult(
                        result=check.result,
                        header_from=check.domain or None,
                        policy=check.policy or None,
                    )
                )
            elif check.method == "arc":
                results.append(ARCAuthenticationResult(result=check.result))
        header = authres.AuthenticationResultsHeader(authserv_id=authserv_id, results=results)
        return str(header).partition(": ")[2]


def judge(checks):
    """The authentication of a mail, in order; the first that holds decides.

    1. DMARC fails and the From's domain asks to reject or quarantine: ``fail``
       (forged; held, never answered), unless a sealer you trust vouches for
       the mail with ARC (a mailing list that changed it, RFC 8617 §7.2.1).
    2. A DKIM signature, an SPF pass or a trusted ARC chain aligned with the
       From (the domain's DMARC alignment, relaxed by default): ``pass``.
    3. DNS did not answer for something that could still have passed or
       failed: ``temperror`` (could not verify; never forged).
    4. Otherwise ``none``: not authenticated. A broken signature or an SPF
       ``fail`` under no enforcing DMARC policy lands here too.
    """
    vouched = any(c.method == "arc" and c.result == "pass" and c.aligned for c in checks)
    if not vouched and any(
        c.method == "dmarc" and c.result == "fail" and c.policy in ENFORCING for c in checks
    ):
        return "fail"
    if any(c.result == "pass" and c.aligned for c in checks if c.method in ("dkim", "spf", "arc")):
        return "pass"
    if any(c.result == "temperror" for c in checks):
        return "temperror"
    return "none"


def authenticate(raw, from_domain, client_ip, helo, mail_from, resolver, trusted_sealers=()):
    """Verify every DKIM signature, SPF for the entry hop's client, the From
    domain's DMARC policy and, from sealers the administrator trusts, ARC.

    ``client_ip``/``helo`` come from our own entry hop's ``Received``;
    ``mail_from`` is the envelope sender (``Return-Path``); each may be None.
    """
    dmarc_record, dmarc_check = _dmarc_record(from_domain, resolver)
    strict_dkim = dmarc_record.get("adkim") == "s"
    strict_spf = dmarc_record.get("aspf") == "s"
    checks = [
        *_dkim(raw, from_domain, resolver, strict_dkim),
        *_spf(client_ip, helo, mail_from, from_domain, resolver, strict_spf),
        *_arc(raw, from_domain, resolver, trusted_sealers),
    ]
    if dmarc_check is None:
        passed = any(c.result == "pass" and c.aligned for c in checks if c.method != "arc")
        policy = dmarc_record["policy"]
        dmarc_check = Check("dmarc", "pass" if passed else "fail", from_domain, policy=policy)
    checks.append(dmarc_check)
    return Authentication(checks=tuple(checks), result=judge(checks))


def aligned(domain, from_domain, strict=False):
    """RFC 7489 §3.1: the same domain (strict) or organizational domain (relaxed)."""
    domain = evidence.normalize_domain(domain)
    if not domain or not from_domain:
        return False
    if strict:
        return domain == from_domain
    return evidence.organizational_domain(domain) == evidence.organizational_domain(from_domain)


def _dkim(raw, from_domain, resolver, strict):
    try:
        verifier = dkim.DKIM(raw, timeout=resolver.lifetime)
        count = sum(1 for name, _value in verifier.headers if name.lower() == b"dkim-signature")
    except Exception:  # noqa: BLE001 - a mail dkimpy cannot parse has no signature we can check
        return []
    checks = []
    for index in range(min(count, 8)):
        try:
            result = "pass" if verifier.verify(idx=index, dnsfunc=resolver.dkim_key) else "fail"
        except TempError:
            result = "temperror"
        except dkim.ValidationError:
            result = "fail"  # e.g. the body changed after signing
        except Exception:  # noqa: BLE001 - a malformed signature or key
            result = "permerror"
        fields = verifier.signature_fields or {}
        if result == "pass" and not _covers_whole_body(verifier, fields):
            # RFC 6376 §8.2: whatever follows the signed length is anyone's
            # (a second Content-Type, an appended invoice): it proves nothing.
            result = "policy"
        domain = (fields.get(b"d") or b"").decode("ascii", "replace").lower()
        selector = (fields.get(b"s") or b"").decode("ascii", "replace")
        verifier.signature_fields = {}
        checks.append(
            Check("dkim", result, domain, selector, aligned=aligned(domain, from_domain, strict))
        )
    return checks


def _covers_whole_body(verifier, fields):
    """A signature without ``l=``, or whose ``l=`` is the whole canonical body."""
    if b"l" not in fields:
        return True
    try:
        policy = dkim.CanonicalizationPolicy.from_c_value(fields.get(b"c", b"simple/simple"))
        return int(fields[b"l"]) >= len(policy.canonicalize_body(verifier.body))
    except Exception:  # noqa: BLE001 - an l= or c= dkimpy accepted but we cannot read
        return False


def _spf(client_ip, helo, mail_from, from_domain, resolver, strict):
    if not client_ip:
        return []
    try:
        ipaddress.ip_address(client_ip)
    except ValueError:
        return []
    if mail_from is None:
        return []  # no envelope sender recorded: nothing to check
    sender = mail_from or (f"postmaster@{helo}" if helo else "")  # the null sender: HELO
    domain = sender.rpartition("@")[2].lower()
    if not domain:
        return []
    token = _SPF_DNS.set(resolver)
    try:
        result, _code, _text = spf.query(
            i=client_ip, s=sender, h=helo or domain, timeout=resolver.lifetime
        ).check()
    except Exception:  # noqa: BLE001 - pyspf raises on odd input
        result = "permerror"
    finally:
        _SPF_DNS.reset(token)
    return [Check("spf", result, domain, aligned=aligned(domain, from_domain, strict))]


def _dmarc_record(from_domain, resolver):
    """The DMARC record in force for the From domain (RFC 7489 §6.6.3): its
    own, else its organizational domain's (whose ``sp=`` then applies).
    Returns ``(record, check)``: check is the final result when no policy
    applies (``none``) or DNS failed (``temperror``), else None."""
    if not from_domain:
        return {}, Check("dmarc", "none")
    org = evidence.organizational_domain(from_domain)
    for name in dict.fromkeys((from_domain, org)):
        try:
            texts = resolver.txt(f"_dmarc.{name}")
        except TempError:
            return {}, Check("dmarc", "temperror", from_domain)
        records = [t.decode("utf-8", "replace") for t in texts if t[:8].lower() == b"v=dmarc1"]
        if len(records) != 1:
            continue  # none, or several (treated as none)
        try:
            record = answer_to_dict(records[0])
        except DMARCException:
            return {}, Check("dmarc", "permerror", from_domain)
        policy = record.get("p", "")
        if name != from_domain:
            policy = record.get("sp", policy)
        if policy not in ("none", "quarantine", "reject"):
            return {}, Check("dmarc", "permerror", from_domain)
        return dict(record, policy=policy), None
    return {}, Check("dmarc", "none", from_domain)


def _arc(raw, from_domain, resolver, trusted_sealers):
    """A chain sealed last by a sealer the administrator trusts (a forwarder,
    a mailing list) vouches for the results that sealer recorded."""
    sealers = {s.strip().lower().rstrip(".") for s in trusted_sealers if s and s.strip()}
    if not sealers or b"arc-seal:" not in raw[:65536].lower():
        return []
    try:
        cv, results, _comment = dkim.ARC(raw, timeout=resolver.lifetime).verify(
            dnsfunc=resolver.dkim_key
        )
    except TempError:
        return [Check("arc", "temperror")]
    except Exception:  # noqa: BLE001 - a broken chain is no evidence
        return [Check("arc", "fail")]
    if cv != dkim.CV_Pass or not results:
        return [Check("arc", "fail" if cv == dkim.CV_Fail else "none")]
    latest = results[0]
    sealer = (latest.get("as-domain") or b"").decode("ascii", "replace").lower()
    if sealer not in sealers:
        return [Check("arc", "pass", sealer)]
    value = (latest.get("aar-value") or b"").decode("utf-8", "replace")
    value = value.split(";", 1)[1] if value.strip().lower().startswith("i=") else value
    # What the sealer recorded is judged as our own server's results would be.
    vouched = evidence.authentication([value], [value.split(";", 1)[0]], from_domain).result
    vouched = vouched == "pass"
    return [Check("arc", "pass", sealer, aligned=vouched)]


# --------------------------------------------------
# Delivery to the HTTP endpoint
# --------------------------------------------------


def delivery_signature(key, timestamp, recipients, body):
    """HMAC-SHA256 of ``<timestamp>.<recipients>.<body>`` with the endpoint's
    signing key: the envelope recipients (``X-Email-Receiver-Recipients``)
    are signed with the mail, so that neither can be swapped."""
    message = f"{timestamp}.{recipients or ''}.".encode("utf-8", "replace") + body
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


# Why a signed delivery is refused, in the words of the server log and the 403.
SIGNATURE_PROBLEMS = {
    "bad_timestamp": "X-Email-Receiver-Timestamp is not a Unix time in seconds",
    "stale": "the timestamp is more than 5 minutes away from the server's clock",
    "old_format": (
        "signed as '<timestamp>.<body>'; sign '<timestamp>.<recipients>.<body>' "
        "(recipients: the X-Email-Receiver-Recipients header as sent, empty when absent)"
    ),
    "wrong_signature": "the signature is not the HMAC-SHA256 of '<timestamp>.<recipients>.<body>'",
}


def signature_problem(key, timestamp, signature, body, recipients, now, window):
    """None when ``signature`` signs this delivery within ``window`` seconds of
    ``now``, else a key of ``SIGNATURE_PROBLEMS``. Every comparison is in
    constant time; "old_format" recognises a client that signs the string
    documented before the recipients were signed (``<timestamp>.<body>``)."""
    try:
        age = abs(now - int(timestamp or ""))
    except ValueError:
        return "bad_timestamp"
    if age > window:
        return "stale"
    given = (signature or "").encode("utf-8", "replace")
    expected = delivery_signature(key, timestamp, recipients, body).encode()
    if hmac.compare_digest(expected, given):
        return None
    old = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if hmac.compare_digest(old.encode(), given):
        return "old_format"
    return "wrong_signature"
