import email
import email.policy
from datetime import timedelta

import psycopg2.errors
import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import email_normalize, format_date, format_time, formatLang, html2plaintext

from ..tools import evidence
from ..tools.incoming_mail import IncomingMail
from ..tools.settings import setting
from .email_receiver import send_to_each

# Held for a reason that only an Email Receiver administrator may overrule:
# the sender may be forged, or the receiver does not accept mail at all.
MANAGER_REASONS = frozenset(
    {
        "inactive",
        "malformed_from",
        "malformed",
        "forged",
        "unauthenticated",
        "unverified",
        "duplicate",
        "duplicate_invoice",
        "not_addressed",
        "error",
    }
)
# Where a mail is on its path (``stage``): entered -> held, or entered ->
# accepted -> queued -> done. The follow-up job takes ``queued`` mail.
STAGES = [
    ("entered", "Being received"),
    ("held", "Held"),
    ("accepted", "Accepted"),
    ("queued", "Waiting for the follow-up"),
    ("done", "Done"),
]
# The stages of a mail whose follow-up has not run yet.
FOLLOW_UP_PENDING = frozenset({"accepted", "queued"})
# Held by a check that comes before authentication: checked at release.
HELD_BEFORE_AUTHENTICATION = frozenset({"not_whitelisted", "too_large"})
REASONS = [
    ("inactive", "Trusted sender not active"),
    ("malformed_from", "Malformed sender"),
    ("malformed", "Malformed message"),
    ("forged", "Forged sender"),
    ("unauthenticated", "Not authenticated"),
    ("unverified", "Could not verify"),
    ("not_whitelisted", "Sender not trusted"),
    ("no_tls", "Not delivered over TLS"),
    ("no_document", "No attachment"),
    ("no_invoice", "No invoice attached"),
    ("too_large", "Message too large"),
    ("duplicate", "Duplicate message"),
    ("duplicate_invoice", "Duplicate invoice"),
    ("not_addressed", "Not addressed to this company"),
    ("unreadable_pdf", "Unreadable PDF"),
    ("unreadable_archive", "Unreadable ZIP file"),
    ("error", "Processing error"),
]
# What a held mail notice tells the contact of the reason: one class of
# reasons each, never which check failed or what it checks (the reader may
# be whoever took over the supplier's mailbox). Unlisted reasons: "other".
NOTICE_REASON_CLASSES = {
    "not_whitelisted": "sender",
    "malformed_from": "sender",
    "malformed": "sender",
    "forged": "sender",
    "unauthenticated": "sender",
    "unverified": "sender",
    "no_tls": "sender",
    "duplicate": "sender",
    "no_document": "no_attachment",
    "no_invoice": "unreadable",
    "unreadable_pdf": "unreadable",
    "unreadable_archive": "unreadable",
    "too_large": "too_large",
    "duplicate_invoice": "duplicate_invoice",
    "not_addressed": "not_addressed",
}


def notice_reason_class(reason):
    """The class of a held mail's reason that its notice names."""
    return NOTICE_REASON_CLASSES.get(reason, "other")


def mail_tz(company_tz, contact_tz):
    """The time zone of the times in our mails to a supplier: the company
    partner's, the one its bookkeepers' chatter shows, so that the report and
    the bill's chatter agree; else the contact partner's; else UTC."""
    return company_tz or contact_tz or "UTC"


class EmailReceiverLog(models.Model):
    """One record per message addressed to a receiver: what arrived, what the
    gateway decided and why, and what became of it. A held message keeps its
    raw mail (as an attachment) until the retention period ends, so that a
    bookkeeper can release it."""

    _name = "email.receiver.log"
    _description = "Email Receiver Processing Log"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "subject"

    receiver_id = fields.Many2one(
        "email.receiver",
        string="Trusted sender",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="receiver_id.company_id", store=True, index=True, precompute=True
    )
    document_type = fields.Selection(
        related="receiver_id.document_type", store=True, precompute=True
    )
    message_id = fields.Char("Message-Id", index="btree_not_null")
    content_key = fields.Char(required=True, index=True, copy=False)
    email_from = fields.Char("From")
    sender = fields.Char(help="The sender's normalized address, when the From header is valid.")
    subject = fields.Char()
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    through_gateway = fields.Boolean(
        "Through the mail gateway",
        readonly=True,
        help="The mail entered through the mail gateway (the inbound endpoint, the relay, "
        "incoming mail servers, or the Mail gateway group), so its Received and "
        "Authentication-Results headers were written by our own servers. Mail that a "
        "user handed to Odoo otherwise is never authenticated.",
    )
    size = fields.Integer("Size (bytes)", readonly=True, help="The size of the mail as it arrived.")
    automatic = fields.Boolean(
        "Automatic mail",
        readonly=True,
        help="Sent by a machine (Auto-Submitted, a mailing list, bulk mail, a bounce or "
        "another report): no notice or report answers it.",
    )
    used_tls = fields.Boolean("TLS")
    tls_protocol = fields.Char("Protocol")
    auth_result = fields.Selection(
        [
            ("pass", "Authenticated"),
            ("fail", "Forged"),
            ("none", "Not authenticated"),
            ("temperror", "Could not verify"),
        ],
        string="Authentication",
        default="none",
    )
    auth_details = fields.Char(
        "Authentication results",
        help="Per method: DKIM (signing domain, selector), SPF (envelope domain), "
        "DMARC (the From domain and its policy), ARC (the sealer).",
    )
    auth_header = fields.Char(
        "Authentication-Results",
        help="The results as a mail server's milter records them, under our own "
        "authserv-id, when Odoo checked the mail itself.",
    )
    # What the bookkeeper sees of the mail (empty while its verdict is not
    # recorded yet); where it is on its path is the stage.
    state = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("review", "Needs review"),
            ("held", "Held"),
            ("released", "Released"),
        ],
        index=True,
    )
    stage = fields.Selection(
        STAGES,
        default="done",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        help="Where the mail is on its path: being received (its own transaction "
        "runs; no verdict yet), held (it waits for a person), accepted (trusted or "
        "released; its transaction still makes the documents), waiting for the "
        "follow-up (the transaction ended: the conversion robot's reading, posting, "
        "sending on, notices and the processing report run in a job, once), done.",
    )
    reason = fields.Selection(REASONS, index=True)
    explanation = fields.Text()
    move_ids = fields.One2many("account.move", "email_receiver_log_id", string="Documents")
    move_count = fields.Integer(compute="_compute_move_count")
    raw_attachment_id = fields.Many2one("ir.attachment", "Original mail", ondelete="set null")
    follow_up_attempts = fields.Integer(
        "Follow-up runs",
        readonly=True,
        copy=False,
        help="How often the follow-up job started on this mail; after three "
        "interrupted runs (a worker that died while reading), the documents "
        "say so and the follow-up runs without the reading.",
    )
    preview_text = fields.Text("Preview", compute="_compute_preview")
    preview_attachments = fields.Text(compute="_compute_preview")
    purge_date = fields.Date(help="The kept mail is deleted on this date.")
    notice_sent = fields.Boolean("Notice sent")
    notice_email = fields.Char()
    report_email = fields.Char(help="The contact the processing report of this mail went to.")
    report_sender = fields.Char(help="The sender the processing report of this mail went to.")
    autopost_reasons = fields.Json(
        readonly=True,
        copy=False,
        help="Per bill of this mail: what kept it from posting itself (none: it posted).",
    )
    attachment_summary = fields.Json(
        help="Each attachment of the mail, and whether it was read as an invoice."
    )
    released_by_id = fields.Many2one("res.users", readonly=True)
    duplicate_of_id = fields.Many2one(
        "account.move",
        "Existing bill",
        readonly=True,
        ondelete="set null",
        help="The bill that already holds this invoice (held as a duplicate invoice).",
    )

    _receiver_content_unique = models.Constraint(
        "UNIQUE(receiver_id, content_key)",
        "This message was already processed for this trusted sender.",
    )

    @api.depends("move_ids")
    def _compute_move_count(self):
        for log in self:
            log.move_count = len(log.move_ids)

    @api.depends("raw_attachment_id")
    def _compute_preview(self):
        """Read the kept mail for review: its text and its attachments."""
        for log in self:
            raw = log._kept_raw()
            text, names = "", []
            if raw:
                try:
                    message = email.message_from_bytes(raw, policy=email.policy.default)
                    body = message.get_body(preferencelist=("plain", "html"))
                    if body is not None:
                        text = body.get_content()
                        if body.get_content_type() == "text/html":
                            text = html2plaintext(text)
                    for part in message.walk():
                        if part.is_multipart() or not part.get_filename():
                            continue
                        size = len(part.get_payload(decode=True) or b"")
                        names.append(
                            f"{part.get_filename()} ({part.get_content_type()}, {size:,} bytes)"
                        )
                except Exception:  # noqa: BLE001 - a broken mail still gets reviewed
                    text = self.env._(
                        "This mail cannot be read; download the original to inspect it."
                    )
            log.preview_text = text[:5000]
            log.preview_attachments = "\n".join(names)

    def _kept_raw(self):
        """The raw mail this log kept itself, read as the gateway (the web
        client reads with bin_size): never any other attachment."""
        self.ensure_one()
        kept = self.raw_attachment_id.sudo()
        if not kept or kept.res_model != self._name or kept.res_id != self.id:
            return b""
        return kept.with_context(bin_size=False).raw or b""

    def _kept_mail(self):
        """The kept mail, parsed once, entering as it first entered."""
        self.ensure_one()
        return IncomingMail.parse(self._kept_raw(), through_gateway=self.through_gateway)

    # --------------------------------------------------
    # Creation from the gateway
    # --------------------------------------------------

    @api.model
    @api.model
    def _mail_values(self, receiver, mail):
        """What is certain of a mail from the moment it enters: the receiver,
        its identity and its headers as a log shows them."""
        return {
            "receiver_id": receiver.id,
            "content_key": mail.key,
            "message_id": evidence.clean_text(mail.message_id[:998]),
            "email_from": evidence.clean_text(mail.email_from),
            "subject": evidence.clean_text(mail.subject),
            "through_gateway": mail.through_gateway,
            "size": mail.size,
            "automatic": mail.automatic,
        }

    @api.model
    def _gateway_record(self, receiver, delivery):
        """The verdict ``_alias_get_error`` reached for ``receiver`` on the mail
        of ``delivery``, recorded in the mail's log, once: by ``message_new``
        before the document (its receipt note reads the log, and Odoo's import
        may commit), else by the outcome after Odoo's routing. Returns the
        log the mail entered with (a release's log, for a release)."""
        log = self.sudo().browse(delivery.log_ids.get(receiver.id, ()))
        verdict = delivery.verdicts.pop(receiver.id, None)
        if verdict is None:
            return log  # recorded already (by message_new), or never asked for
        # in the company's language: the explanation is stored as words
        receiver = receiver._gateway_in_company_lang()
        log = log.with_env(receiver.env).sudo()
        values = delivery.mail.log_values()
        values["is_bounce"] = values["is_bounce"] or verdict.pop("is_bounce", False)
        log = log._record_verdict(receiver, verdict, values, log=log)
        delivery.stages[receiver.id] = log.stage
        alias = receiver.alias_id
        if not verdict["reason"] and alias.alias_status != "valid":
            # Odoo marks an alias valid after its first routed mail, as the
            # gateway user; a restricted technical user may not write aliases.
            # Written now: when several first mails race for it, the loser's
            # serialization failure raises here, and Odoo runs its request
            # again, rather than inside the import, which would catch it.
            alias.sudo().alias_status = "valid"
            alias.sudo().flush_recordset(["alias_status"])
        return log

    @api.model
    def _create_entering(self, receivers, mail):
        """The log of a mail for each receiver, created as the mail enters the
        gateway (stage ``entered``, which its verdict replaces before the
        mail's transaction ends). Two workers delivering the same mail race on
        the unique (receiver, content) key: the loser's request runs again."""
        values = [
            dict(self._mail_values(receiver, mail), state=False, stage="entered")
            for receiver in receivers
        ]
        try:
            with self.env.cr.savepoint(flush=True):
                return self.create(values)
        except psycopg2.errors.UniqueViolation as error:
            raise ConcurrencyError("concurrent delivery of the same message") from error

    def _record_verdict(self, receiver, verdict, values, log=None):
        """Record the gateway's decision in the mail's log (``log``, the one it
        entered with), else in a new one; for a held message keep the mail and warn."""
        reason = verdict.get("reason") or False
        raw = values.get("raw") or b""
        vals = {
            "receiver_id": receiver.id,
            "message_id": values.get("message_id"),
            "content_key": values["content_key"],
            "email_from": values.get("email_from"),
            "sender": verdict.get("sender") or False,
            "subject": values.get("subject"),
            "through_gateway": bool(values.get("through_gateway")),
            "automatic": bool(values.get("automatic") or values.get("is_bounce")),
            "size": len(raw),
            "used_tls": verdict.get("used_tls", False),
            "tls_protocol": verdict.get("protocol"),
            "auth_result": verdict.get("auth_result", "none"),
            "auth_details": verdict.get("auth_details"),
            "auth_header": verdict.get("auth_header") or False,
            "attachment_summary": verdict.get("attachments"),
            "duplicate_of_id": (verdict.get("document") or {}).get("bill_id") or False,
            "state": "held" if reason else "accepted",
            # Accepted: posting, sending, notices and report still to run.
            "stage": "held" if reason else "accepted",
            "reason": reason,
            "explanation": self._explain(reason, verdict, receiver, len(raw))
            + self._explain_others(verdict),
        }
        # Hostile headers may hold bytes PostgreSQL refuses (lone surrogates, NUL).
        vals = {key: evidence.clean_text(value) for key, value in vals.items()}
        if log := log or self.browse():
            # the log the mail entered with (it exists: see _gateway_hold) is
            # this receiver's log of this mail already: its key stays
            del vals["receiver_id"], vals["content_key"]
            log.write(vals)
            vals = None
        try:
            if vals:
                # No savepoint of its own: every caller has one (the routing's,
                # the hold's), and rolls back to it on ConcurrencyError.
                log = self.create(vals)
        except psycopg2.errors.UniqueViolation as error:
            # Another worker is processing the same message right now: retry
            # the whole transaction; it will then see that message as done.
            raise ConcurrencyError("concurrent delivery of the same message") from error
        if reason:
            # An oversize mail keeps its headers only: enough to see what it was.
            log._keep_raw(evidence.header_block(raw) if reason == "too_large" else raw)
            log._send_held_notice(values)
        return log

    @api.model
    def _create_minimal(self, receiver, mail, error, log=None):
        """The last resort, when holding a mail failed itself: a log with what
        is certain (the mail as it arrived, its key), held as ``error``; in
        the log the mail entered with, when it has one."""
        log = self.browse(log or ()).exists()
        values = {
            **self._mail_values(receiver, mail),
            "state": "held",
            "stage": "held",
            "reason": "error",
            "explanation": self.env._(
                "This mail could not be read or checked; it is kept as it arrived (%(error)s).",
                error=evidence.clean_text(error),
            ),
        }
        if log:
            log.write(values)
        else:
            log = self.create(values)
        log._keep_raw(mail.raw)
        return log

    @api.model
    def _explain_others(self, verdict):
        """What was recognised as no invoice, for the explanation."""
        others = [entry["name"] for entry in verdict.get("attachments") or () if entry.get("other")]
        if not others:
            return ""
        return " " + self.env._(
            "Not an invoice, so no bill of its own: %(names)s.", names=", ".join(others)
        )

    @api.model
    def _explain(self, reason, verdict, receiver, size):
        sender = verdict.get("sender") or self.env._("an invalid sender")
        document = verdict.get("document") or {}
        texts = {
            False: self.env._("Accepted from %(sender)s.", sender=sender),
            "inactive": self.env._(
                "The trusted sender %(receiver)s is not active, so it accepts no mail.",
                receiver=receiver.name,
            ),
            "malformed_from": self.env._(
                "The From header must contain exactly one valid address; this one does not."
            ),
            "malformed": self.env._(
                "This mail has more than one %(header)s header, which a mail may have only "
                "once: one reader would see one, another reader the other. It is held so "
                "that nothing in it is read unchecked.",
                header=verdict.get("header") or "?",
            ),
            "forged": self.env._(
                "%(sender)s did not really send this mail: it fails the DMARC policy "
                "its domain publishes (reject or quarantine), or our mail server found "
                "no DKIM/SPF result that matches the sender's domain (%(details)s).",
                sender=sender,
                details=verdict.get("auth_details") or "-",
            ),
            "unauthenticated": self.env._(
                "This trusted sender accepts only authenticated mail (a DKIM signature or "
                "SPF pass aligned with %(sender)s), and this mail has none (%(details)s).",
                sender=sender,
                details=verdict.get("auth_details") or "-",
            ),
            "unverified": self.env._(
                "This trusted sender accepts only authenticated mail, and DNS did not answer "
                "while the mail was checked (%(details)s). It is checked again "
                "automatically and released once DNS answers and it is authenticated.",
                details=verdict.get("auth_details") or "-",
            ),
            "not_whitelisted": self.env._(
                "%(sender)s is not on the whitelist of this trusted sender.",
                sender=sender,
            ),
            "no_tls": self.env._(
                "This trusted sender accepts only mail delivered over TLS, and this mail "
                "reached our server unencrypted (%(protocol)s).",
                protocol=verdict.get("protocol") or self.env._("no evidence"),
            ),
            "no_document": self.env._(
                "This mail has no attachment: an invoice behind a link or written in the "
                "mail itself is not read. Ask %(sender)s to attach the invoice (an e-invoice "
                "or a PDF).",
                sender=sender,
            ),
            "no_invoice": self.env._(
                "No attachment is an invoice that this trusted sender processes (%(mode)s).",
                mode=dict(receiver._fields["processing"]._description_selection(self.env))[
                    receiver.processing
                ],
            ),
            "too_large": self.env._(
                "The message is %(size)s MB, over the limit of %(limit)s MB.",
                size=round(size / 1024 / 1024, 1),
                limit=f"{setting(self.env, 'max_size_mb'):g}",
            ),
            "duplicate": self.env._(
                "A message with this Message-Id was already received, with other "
                "content. It is held in case it is a forgery."
            ),
            "error": self.env._(
                "The message could not be processed: %(error)s",
                error=verdict.get("error") or "?",
            ),
            "duplicate_invoice": self.env._(
                "The invoice %(number)s of %(amount)s is already in Odoo: %(bill)s. No "
                "second bill was made. Release it only if it really is a new invoice.",
                number=document.get("number") or "?",
                amount=document.get("amount") or "?",
                bill=document.get("bill") or "?",
            ),
            "not_addressed": self.env._(
                "This invoice is addressed to %(buyer)s (%(ids)s), not to this company "
                "(%(ours)s). A genuine invoice sent to someone else may have been "
                "forwarded here.",
                buyer=document.get("buyer") or "?",
                ids=document.get("buyer_ids") or "?",
                ours=document.get("ours") or "?",
            ),
            "unreadable_archive": self.env._(
                "The ZIP file %(name)s is not opened: %(problem)s. Nothing was made of it; "
                "ask the sender to attach the invoices themselves.",
                name=document.get("name") or "?",
                problem=self._archive_problem(document.get("problem")),
            ),
            "unreadable_pdf": self.env._(
                "The conversion robot refuses the PDF %(name)s: %(problem)s. Nothing was "
                "made of it; release it to get a draft with the PDF to fill in yourself.",
                name=document.get("name") or "?",
                problem=self._pdf_problem(document.get("problem")),
            ),
        }
        return texts[reason]

    def _archive_problem(self, kind):
        """What a kind of ``evidence.ArchiveRefused`` means, for the bookkeeper."""
        return {
            "too_many_files": self.env._(
                "it holds more than %(count)s files", count=evidence.ARCHIVE_MAX_MEMBERS
            ),
            "too_large": self.env._("its files are too large together"),
            "bomb": self.env._("a file in it is compressed suspiciously far (a ZIP bomb)"),
            "encrypted": self.env._("it is protected with a password"),
            "damaged": self.env._("the file is damaged"),
        }.get(kind, kind or "?")

    def _pdf_problem(self, kind):
        """What a kind of ``pdf_invoice.Unreadable`` means, for the bookkeeper."""
        return {
            "too_large": self.env._("the file is too large"),
            "too_many_pages": self.env._("it has too many pages"),
            "encrypted": self.env._("it is protected with a password"),
            "damaged": self.env._("the file is damaged"),
            "too_slow": self.env._("reading it takes too long"),
            "too_complex": self.env._("reading it takes too much memory"),
        }.get(kind, kind or "?")

    def _keep_raw(self, raw):
        self.ensure_one()
        days = setting(self.env, "retention_days")
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"held-mail-{self.id}.eml",
                "raw": raw,
                "mimetype": "message/rfc822",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.write(
            {
                "raw_attachment_id": attachment.id,
                "purge_date": fields.Date.today() + timedelta(days=days),
            }
        )

    def _send_held_notice(self, values):
        """Warn the receiver's contact, never the (possibly forged) sender.

        No notice for automatic mail (RFC 3834 Auto-Submitted) or bounces, none
        to the receiver's own address, and at most one per contact, reason and hour.
        """
        self.ensure_one()
        receiver = self.receiver_id
        contact = email_normalize(receiver.contact_email or "")
        if not contact or contact == (receiver.alias_full_name or "").lower():
            return
        if self.automatic:
            return
        recent = self.search_count(
            [
                ("id", "!=", self.id),
                ("notice_email", "=", contact),
                ("reason", "=", self.reason),
                ("notice_sent", "=", True),
                ("date", ">=", fields.Datetime.now() - timedelta(hours=1)),
            ],
            limit=1,
        )
        if recent:
            return
        template = self.env.ref("account_email_receiver.mail_template_held_notice")
        if send_to_each(template.sudo(), self, [contact]):
            self.write({"notice_sent": True, "notice_email": contact})

    def _notice_facts(self):
        """How a mail we write about is named in our mail: its date, size,
        sender address and reason, in our own words; never its subject or any
        other text its sender chose (a forger's "new bank account" stays out)."""
        self.ensure_one()
        return {
            "date": self._written_datetime(self.date),
            "size": self.env._("%(size)s bytes", size=formatLang(self.env, self.size, digits=0)),
            "sender": self.sender or self.env._("an invalid sender"),
            "reason": self._notice_reason(),
        }

    def _notice_reason(self):
        """The reason a mail was held, as its notice tells the supplier: by
        ``notice_reason_class``; the bookkeeper's label stays inside."""
        self.ensure_one()
        texts = {
            "sender": self.env._("We could not confirm that this mail comes from you."),
            "no_attachment": self.env._("No invoice was attached to the mail."),
            "unreadable": self.env._("No attachment could be read as an invoice."),
            "too_large": self.env._("The mail is too large to be processed."),
            "duplicate_invoice": self.env._("This invoice may have been received before."),
            "not_addressed": self.env._(
                "The invoice is not addressed to %(company)s.",
                company=self.receiver_id.company_id.name,
            ),
            "other": self.env._("The mail could not be processed automatically."),
        }
        return texts[notice_reason_class(self.reason)]

    def _written_datetime(self, value):
        """``value`` (UTC) as the reader's language writes a moment ("December 3,
        2026 at 9:51 AM", "3 december 2026 om 09:51"): the language the template
        renders in, in the zone of ``mail_tz``."""
        receiver = self.receiver_id
        tz = mail_tz(receiver.company_id.partner_id.tz, receiver.partner_id.tz)
        local = pytz.utc.localize(value).astimezone(pytz.timezone(tz))
        lang = self.env.lang
        return self.env._(
            "%(date)s at %(time)s",
            date=format_date(self.env, local.date(), lang_code=lang, date_format="long"),
            time=format_time(self.env, value, tz=tz, time_format="short", lang_code=lang),
        )

    def _notice_reference(self):
        """The held-mail notice's subject: which mail, by our own facts."""
        return self.env._("mail of %(date)s from %(sender)s (%(size)s)", **self._notice_facts())

    def _receipt_note(self):
        """The facts of the receipt, shown on each document's chatter."""
        self.ensure_one()
        tls = self.env._("yes (%s)", self.tls_protocol) if self.used_tls else self.env._("no")
        auth = dict(self._fields["auth_result"]._description_selection(self.env))[self.auth_result]
        return Markup("<p><b>%s</b></p><ul><li>%s</li><li>%s</li><li>%s</li><li>%s</li></ul>") % (
            self.env._("Received by email"),
            self.env._("Trusted sender: %s", self.receiver_id.display_name),
            self.env._("Sender: %s", self.sender or self.email_from),
            self.env._("TLS: %s", tls),
            self.env._("Authentication: %s", auth),
        )

    def action_view_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_in_invoice_type"
        )
        action.update(
            {
                "domain": [("id", "in", self.move_ids.ids)],
                "context": {"create": False},
            }
        )
        if len(self.move_ids) == 1:
            action.update(
                {
                    "view_mode": "form",
                    "res_id": self.move_ids.id,
                    "views": [(False, "form")],
                }
            )
        return action

    def action_download_raw(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.raw_attachment_id.id}?download=true",
            "target": "self",
        }
