"""The gateway's decision: a receiver's policy and a mail's facts in, a verdict out.

Pure: no Odoo, no database, no DNS, no parsing. ``email.receiver`` gathers
the facts (``_gateway_facts``) and every path calls ``decide``: the mail
gateway, the release of a held mail and the cron that checks held mail
again. The checks come in order and the first that fails decides. A fact
that costs something (the whitelist lookup, DNS, the attachments) is only
gathered when the checks before it passed: ``decide`` then answers with the
fact it ``needs`` instead of a reason, and is called again once it is there.
"""

from dataclasses import dataclass
from types import MappingProxyType

# The facts gathered on demand, in the order the checks need them.
TRUSTED, AUTHENTICATION, DOCUMENTS = "trusted", "authentication", "documents"


@dataclass(frozen=True)
class Policy:
    """What a receiver asks of its mail."""

    active: bool
    max_bytes: int
    require_authentication: bool = False
    tls_only: bool = False
    reads_pdfs: bool = False  # the conversion robot reads PDFs and pictures
    checks_buyer: bool = False  # vendor bills: addressed to us, not in Odoo yet
    our_ids: tuple = ()  # our VAT number and Peppol endpoint, normalized


@dataclass(frozen=True)
class Invoice:
    """One e-invoice of the mail, as its XML declares it, and the bill of the
    same supplier, number and amount already in Odoo (name, id), if any."""

    buyer_name: str | None = None
    buyer_ids: tuple = ()  # the buyer's VAT number and Peppol endpoint, normalized
    number: str | None = None
    total: float | None = None
    existing: tuple | None = None


@dataclass(frozen=True)
class Documents:
    """What the attachments are: each file's name and whether it becomes a
    document, the refused archive, the PDFs and pictures the robot will read
    with the reason each is refused (or None), and the e-invoices."""

    found: tuple = ()  # (name, used)
    names_a_file: bool = False  # the mail's structure names a file nobody could parse
    refused_archive: tuple | None = None  # (name, problem)
    has_xml: bool = False
    pdfs: tuple = ()  # (name, problem or None)
    invoices: tuple = ()  # Invoice


@dataclass(frozen=True)
class Facts:
    """What is known of one mail. None: not gathered yet."""

    size: int
    sender: str | None = None  # the one mailbox of the one From
    repeated_header: str | None = None  # a header that may appear once, twice
    used_tls: bool = False  # on our own entry hop
    trusted: bool | None = None  # by the receiver's whitelist
    auth_result: str | None = None  # pass, fail, temperror, none...
    documents: Documents | None = None
    looks_at_documents: bool = True  # False: a mail held before its attachments were parsed
    released: bool = False  # a person released it: only its documents are checked


@dataclass(frozen=True)
class Verdict:
    """``reason`` False: accepted. ``needs``: the fact to gather before deciding."""

    reason: str | bool = False
    needs: str | None = None
    header: str | None = None  # malformed: the repeated header
    document: MappingProxyType | None = None  # the detail of a document's reason


ACCEPTED = Verdict()


def _held(reason, **detail):
    document = detail.pop("document", None)
    return Verdict(
        reason=reason,
        document=MappingProxyType(document) if document is not None else None,
        **detail,
    )


def decide(policy, facts):
    """The verdict on one mail: the first check that fails, in this order."""
    if facts.released:
        return _documents_verdict(policy, facts, released=True)
    # 1. Only active receivers accept mail.
    if not policy.active:
        return _held("inactive")
    # 2. Exactly one From with exactly one mailbox; no header twice that may be there once.
    if not facts.sender:
        return _held("malformed_from")
    if facts.repeated_header:
        return _held("malformed", header=facts.repeated_header)
    # 3. The whitelist.
    if facts.trusted is None:
        return Verdict(needs=TRUSTED)
    if not facts.trusted:
        return _held("not_whitelisted")
    # 4. Size, before anything reads the body.
    if facts.size > policy.max_bytes:
        return _held("too_large")
    # 5. Authentication: our own servers' results, else our own checks.
    if facts.auth_result is None:
        return Verdict(needs=AUTHENTICATION)
    if facts.auth_result == "fail":
        return _held("forged")
    if policy.require_authentication and facts.auth_result != "pass":
        return _held("unverified" if facts.auth_result == "temperror" else "unauthenticated")
    # 6. TLS on our own entry hop.
    if policy.tls_only and not facts.used_tls:
        return _held("no_tls")
    # 7 and 8. The documents.
    return _documents_verdict(policy, facts)


def _documents_verdict(policy, facts, released=False):
    if not facts.looks_at_documents:
        return ACCEPTED
    if facts.documents is None:
        return Verdict(needs=DOCUMENTS)
    documents = facts.documents
    used = any(used for _name, used in documents.found)
    if released:
        # A person released it: an empty draft is theirs to fill.
        return _invoices_verdict(policy, documents) if used else ACCEPTED
    # 7. At least one attachment that becomes a document.
    if not documents.found and not documents.names_a_file:
        # A link to a portal, an invoice written in the mail: nothing to read.
        return _held("no_document")
    if not used:
        if documents.refused_archive:
            name, problem = documents.refused_archive
            return _held("unreadable_archive", document={"name": name, "problem": problem})
        return _held("no_invoice")
    return _invoices_verdict(policy, documents)


def _invoices_verdict(policy, documents):
    """8. The robot can read at least one PDF; the e-invoices are addressed to
    this company and are not an invoice Odoo already has (a reminder with a
    new Message-Id). Identifiers are compared only when both sides have one."""
    if policy.reads_pdfs and not documents.has_xml:
        refused = [(name, problem) for name, problem in documents.pdfs if problem]
        if refused and len(refused) == len(documents.pdfs):
            name, problem = refused[0]
            return _held("unreadable_pdf", document={"name": name, "problem": problem})
    if not policy.checks_buyer:
        return ACCEPTED
    ours = [value for value in policy.our_ids if value]
    for invoice in documents.invoices:
        if any(
            theirs and mine and theirs != mine
            for theirs, mine in zip(invoice.buyer_ids, policy.our_ids, strict=False)
        ):
            return _held(
                "not_addressed",
                document={
                    "buyer": invoice.buyer_name or "?",
                    "buyer_ids": ", ".join(filter(None, invoice.buyer_ids)),
                    "ours": ", ".join(ours),
                },
            )
        if invoice.existing:
            bill, bill_id = invoice.existing
            return _held(
                "duplicate_invoice",
                document={
                    "number": invoice.number,
                    "amount": invoice.total,
                    "bill": bill,
                    "bill_id": bill_id,
                },
            )
    return ACCEPTED
