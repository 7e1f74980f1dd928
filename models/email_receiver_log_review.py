"""The held-mail review: what a bookkeeper needs to judge a held mail.

The whole sender address with the part that differs from the supplier's
known domains marked, advice per reason in words, the evidence in words, and
the held mail's attachments in Odoo's own viewers.
"""

import base64
import email
import email.policy
import logging
import re

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import format_date

from ..tools import lookalike

_logger = logging.getLogger(__name__)

# A mail that speaks of bank details: the classic invoice fraud announces a
# new account. Words of the six languages the conversion robot reads.
BANK_WORDS = re.compile(
    r"\b(bank|iban|rekening\w*|bankgegevens|bankverbindung|konto\w*|"
    r"coordonn[ée]es bancaires|rib|conto|cuenta)\b",
    re.IGNORECASE,
)
# Reasons whose mail may not come from who it says.
FORGED_REASONS = frozenset({"forged", "unauthenticated", "malformed_from", "malformed"})
PREVIEW_MAX_BYTES = 10 * 1024 * 1024


def _breakable(text):
    """``text`` escaped, with a line break allowed before each dot and after
    the @: a long address wraps between its labels, never inside one."""
    return escape(text).replace(".", Markup("<wbr>.")).replace("@", Markup("@<wbr>"))


class EmailReceiverLogReview(models.Model):
    _inherit = "email.receiver.log"

    sender_marked = fields.Html(
        "Sender address",
        compute="_compute_sender_marked",
        sanitize=False,  # built here from escaped text only
        help="The whole address; what differs from the supplier's known domains is marked.",
    )
    advice = fields.Text(compute="_compute_advice")
    evidence_summary = fields.Text("Evidence", compute="_compute_evidence_summary")
    purge_note = fields.Char("Kept until", compute="_compute_purge_note")
    preview_pdf = fields.Binary("PDF", compute="_compute_preview_documents", attachment=False)
    preview_pdf_name = fields.Char(compute="_compute_preview_documents")
    preview_image = fields.Binary("Picture", compute="_compute_preview_documents", attachment=False)
    preview_xml = fields.Text("E-invoice", compute="_compute_preview_documents")

    def _known_domains(self):
        """The domains this supplier is known by: the trusted sender's rules,
        its contact address and the supplier's own address."""
        self.ensure_one()
        receiver = self.receiver_id.sudo()
        domains = set()
        for rule in receiver.rule_ids:
            if rule.rule_type == "domain" and rule.value:
                domains.add(rule.value)
            elif rule.rule_type == "email" and rule.value:
                domains.add(rule.value.rpartition("@")[2])
        for address in (receiver.contact_email, receiver.partner_id.email):
            if address and "@" in address:
                domains.add(address.strip().rpartition("@")[2].rstrip(">"))
        return domains

    @api.depends("sender", "email_from", "receiver_id")
    def _compute_sender_marked(self):
        for log in self:
            address = log.sender or log.email_from or ""
            segments = lookalike.mark(address, log._known_domains() if log.receiver_id else ())
            log.sender_marked = Markup("").join(
                Markup('<mark class="o_email_receiver_differs">%s</mark>') % _breakable(text)
                if differs
                else _breakable(text)
                for text, differs in segments
            )

    @api.depends("state", "reason", "subject", "sender", "receiver_id")
    def _compute_advice(self):
        for log in self:
            if log.state != "held":
                log.advice = False
                continue
            parts = [log._reason_advice()]
            if log._speaks_of_bank_details():
                parts.append(
                    self.env._(
                        "This mail speaks of bank details. Invoice fraud announces a new "
                        "bank account by mail: before you pay to an account from this "
                        "mail, call the supplier on a number you already have (never one "
                        "from this mail) and confirm it."
                    )
                )
            log.advice = "\n\n".join(part for part in parts if part)

    def _reason_advice(self):
        """What to do about a mail held for its reason, in a bookkeeper's words."""
        reason = self.reason
        if reason in FORGED_REASONS:
            return self.env._(
                "This mail may not come from the address it shows. Do not release it "
                "and do not pay from it. If it claims to come from a supplier, tell the "
                "supplier, on a number you already have."
            )
        if reason == "not_whitelisted":
            known = ", ".join(sorted(self._known_domains())) or self.env._("none yet")
            return self.env._(
                "This address is not one the supplier sends from (known: %(known)s). "
                "Compare the address with the supplier's: a lookalike domain is marked. "
                "Release it only when you expected this mail; trust the sender only "
                "after the supplier confirmed the address.",
                known=known,
            )
        if reason == "no_tls":
            return self.env._(
                "This supplier's mail always arrives over an encrypted connection, and "
                "this mail did not. Check with the supplier before you release it."
            )
        if reason == "unverified":
            return self.env._(
                "The sender could not be checked because its domain did not answer. "
                "It is checked again automatically; release it only when you expected it."
            )
        if reason in ("duplicate", "duplicate_invoice"):
            return self.env._(
                "This invoice or mail is already in Odoo. Release it only when the "
                "supplier confirms it is a new invoice."
            )
        if reason == "not_addressed":
            return self.env._(
                "The invoice names another company as the buyer. Ask the supplier for "
                "an invoice addressed to your company instead of releasing it."
            )
        if reason == "inactive":
            return self.env._(
                "This trusted sender is not active. Activate it to accept its mail, "
                "or release this mail on its own."
            )
        if reason == "error":
            return self.env._(
                "Processing failed. Release it to try again; when it fails again, "
                "ask your administrator."
            )
        return self.env._(
            "Odoo found no invoice it can read in this mail. Look at the attachments "
            "below; when one is an invoice, release the mail and complete the bill."
        )

    def _speaks_of_bank_details(self):
        text = f"{self.subject or ''}\n{self.preview_text or ''}"
        return bool(BANK_WORDS.search(text))

    @api.depends("used_tls", "auth_result", "through_gateway")
    def _compute_evidence_summary(self):
        for log in self:
            transport = (
                self.env._("Delivered over an encrypted connection (TLS).")
                if log.used_tls
                else self.env._("Delivered without encryption.")
            )
            authentication = {
                "pass": self.env._(
                    "Authenticated: the sender's domain confirms it sent this mail."
                ),
                "fail": self.env._("Forged: the sender's domain says it did not send this mail."),
                "none": self.env._(
                    "Not authenticated: nothing proves the sender's domain sent this mail."
                ),
                "temperror": self.env._("Not checked: the sender's domain did not answer in time."),
            }.get(log.auth_result, "")
            log.evidence_summary = f"{transport}\n{authentication}"

    @api.depends("purge_date", "state")
    def _compute_purge_note(self):
        for log in self:
            log.purge_note = (
                self.env._(
                    "until %(date)s, then deleted",
                    date=format_date(self.env, log.purge_date, date_format="long"),
                )
                if log.purge_date
                else False
            )

    @api.depends("raw_attachment_id")
    def _compute_preview_documents(self):
        """The first PDF, picture and e-invoice of the held mail, for Odoo's
        viewers; nothing is stored and nothing is read beyond the kept mail."""
        for log in self:
            pdf = pdf_name = image = xml = False
            raw = log._kept_raw() if log.raw_attachment_id else b""
            if raw:
                try:
                    message = email.message_from_bytes(raw, policy=email.policy.default)
                    for part in message.walk():
                        if part.is_multipart() or not part.get_filename():
                            continue
                        content = part.get_payload(decode=True) or b""
                        if len(content) > PREVIEW_MAX_BYTES:
                            continue
                        kind = part.get_content_type()
                        if not pdf and content.startswith(b"%PDF-"):
                            pdf, pdf_name = base64.b64encode(content), part.get_filename()
                        elif not image and kind in ("image/png", "image/jpeg"):
                            image = base64.b64encode(content)
                        elif not xml and content.lstrip()[:1] == b"<":
                            xml = content[:20000].decode("utf-8", "replace")
                except Exception:  # noqa: BLE001 - a broken mail still gets reviewed
                    _logger.info("held mail %s: its attachments cannot be previewed", log.id)
            log.preview_pdf = pdf
            log.preview_pdf_name = pdf_name
            log.preview_image = image
            log.preview_xml = xml
