"""Whether a bill from a receiver posts itself: facts in, reasons out.

No ORM here. ``email.receiver.log`` gathers the ``Facts`` of each bill of an
accepted mail (what our own code verified of the mail, what the import and the
reconciliation found, Odoo's own auto-post settings); ``blockers`` turns them
into the reasons that keep the bill a draft, in the order a bookkeeper reads
them. No reason: Odoo's own ``_autopost_bill`` posts it (and checks again).
"""

from dataclasses import dataclass

# Documents whose every header field the conversion robot must have read with
# high confidence before a bill made from a PDF may post itself.
ROBOT_FIELDS = ("number", "date", "total")


@dataclass(frozen=True)
class Facts:
    """What is known of one bill made from one mail."""

    authenticated: bool  # aligned DKIM, SPF or trusted ARC pass, by our own evidence
    rule_types: frozenset  # the whitelist types that trust the sender
    released: bool  # released by a person from a held state
    flagged: bool  # differs from its invoice, a new bank account, another buyer...
    duplicate: bool  # Odoo's duplicate check flags it
    einvoice: bool  # its lines come from a UBL/CII/Factur-X e-invoice
    robot_sure: bool  # made from a PDF read completely with high confidence
    supplier_setting: str  # the supplier's "Auto-post bills": always, ask, never
    company_setting: bool  # the company's "Auto-validate bills"
    abnormal_amount: bool  # Odoo's abnormal amount warning
    hash_locked: bool  # the journal's entries are locked with a hash
    untrusted_bank: bool = False  # its payee account: no person trusted it
    layout: str = ""  # made from a PDF: LAYOUTS (``layout``); an e-invoice: ""


# A PDF's layout against the one a person confirmed for its supplier by
# posting a bill read from it: the same labels, in the same places.
LAYOUTS = ("confirmed", "unconfirmed", "differs")


def robot_sure(reading):
    """Whether the conversion robot's reading (``email_receiver_pdf``) holds
    every header field with high confidence."""
    fields = (reading or {}).get("fields") or {}
    return all((fields.get(name) or [None, "low"])[1] == "high" for name in ROBOT_FIELDS)


def layout(reading, confirmed):
    """``LAYOUTS`` of a PDF's reading (``email_receiver_pdf``), given the
    anchors a person confirmed for its supplier (``{field: label}``): each of
    ROBOT_FIELDS was found by its confirmed anchor, or not."""
    if not all(confirmed.get(name) for name in ROBOT_FIELDS):
        return "unconfirmed"  # the first PDF of a supplier never posts itself
    fields = (reading or {}).get("fields") or {}
    for name in ROBOT_FIELDS:
        how = [tuple(step) for step in (fields.get(name) or [None, None, ()])[2] or ()]
        if how[:1] != [("learned", confirmed[name])]:  # then maybe: adds_up
            return "differs"
    return "confirmed"


def blockers(facts):
    """The reasons (keys) that keep this bill a draft; empty: it posts itself."""
    reasons = []
    if facts.supplier_setting != "always":
        reasons.append(f"supplier_{facts.supplier_setting}")
    if not facts.company_setting:
        reasons.append("company_off")
    if not facts.authenticated:
        reasons.append("not_authenticated")
    if facts.released:
        reasons.append("released")
    if not facts.rule_types:
        reasons.append("not_whitelisted")
    elif not facts.rule_types - {"everyone"}:
        reasons.append("everyone")
    if facts.flagged:
        reasons.append("flagged")
    if facts.duplicate:
        reasons.append("duplicate")
    if facts.untrusted_bank:
        reasons.append("untrusted_bank")
    if not facts.einvoice and not facts.robot_sure:
        reasons.append("not_einvoice")
    elif not facts.einvoice and facts.layout != "confirmed":
        reasons.append(f"layout_{facts.layout or 'unconfirmed'}")
    if facts.abnormal_amount:
        reasons.append("abnormal_amount")
    if facts.hash_locked:
        reasons.append("hash_locked")
    return tuple(reasons)
