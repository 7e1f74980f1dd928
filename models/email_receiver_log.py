import contextlib
import dataclasses
import email
import email.policy
import logging
import re
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models, modules
from odoo.exceptions import AccessError, ConcurrencyError, LockError, UserError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import email_normalize, format_amount, format_datetime, html2plaintext

from ..tools import autopost, evidence
from ..tools.grants import Release, earn
from ..tools.incoming_mail import IncomingMail
from .email_receiver import PARAM, ReleaseRefused

_logger = logging.getLogger(__name__)

# Held for a reason that only an Email Receiver administrator may overrule:
# the sender may be forged, or the receiver does not accept mail at all.
MANAGER_REASONS = frozenset(
    {
        "inactive",
        "malformed_from",
        "malformed",
        "spoofed",
        "unauthenticated",
        "unverified",
        "duplicate",
        "duplicate_invoice",
        "not_addressed",
        "error",
    }
)
# Held by a check that comes before authentication: checked at release.
FOLLOW_UP_BATCH = 50  # mails per run of the follow-up job; it triggers itself for more
FOLLOW_UP_ATTEMPTS = 3  # runs a worker may die in before a mail's reading is given up
HELD_BEFORE_AUTHENTICATION = frozenset({"not_whitelisted", "too_large"})
REASONS = [
    ("inactive", "Receiver not active"),
    ("malformed_from", "Malformed sender"),
    ("malformed", "Malformed message"),
    ("spoofed", "Forged sender"),
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
        "email.receiver", required=True, ondelete="cascade", index=True, check_company=True
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
    state = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("review", "Needs review"),
            ("held", "Held"),
            ("released", "Released"),
        ],
        required=True,
        index=True,
    )
    reason = fields.Selection(REASONS, index=True)
    explanation = fields.Text()
    move_ids = fields.One2many("account.move", "email_receiver_log_id", string="Documents")
    move_count = fields.Integer(compute="_compute_move_count")
    raw_attachment_id = fields.Many2one("ir.attachment", "Original mail", ondelete="set null")
    followed_up = fields.Boolean(
        "Follow-up done",
        default=True,
        readonly=True,
        copy=False,
        help="The follow-up of an accepted mail (the conversion robot's reading, "
        "posting, sending on, notices, processing report) ran: in a job after the "
        "mail's own transaction, once.",
    )
    follow_up_ready = fields.Boolean(
        "Ready for the follow-up",
        readonly=True,
        copy=False,
        help="The mail's own transaction ended: the follow-up job may take it. "
        "Odoo's import commits in the middle of that transaction, so the log "
        "exists before the mail is done with its documents.",
    )
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
        "This message was already processed for this receiver.",
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
    def _create_from_verdict(self, receiver, verdict, values, replace=False):
        """Record the gateway's decision; for a held message keep the mail and warn.

        ``replace``: only after a failure past Odoo's own intermediate commit,
        when the accepted record of this message may already be committed.
        """
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
            "used_tls": verdict.get("used_tls", False),
            "tls_protocol": verdict.get("protocol"),
            "auth_result": verdict.get("auth_result", "none"),
            "auth_details": verdict.get("auth_details"),
            "auth_header": verdict.get("auth_header") or False,
            "attachment_summary": verdict.get("attachments"),
            "duplicate_of_id": (verdict.get("document") or {}).get("bill_id") or False,
            "state": "held" if reason else "accepted",
            "reason": reason,
            "explanation": self._explain(reason, verdict, receiver, len(raw))
            + self._explain_others(verdict),
            # Accepted: posting, sending, notices and report still to run.
            "followed_up": bool(reason),
        }
        # Hostile headers may hold bytes PostgreSQL refuses (lone surrogates, NUL).
        vals = {key: evidence.clean_text(value) for key, value in vals.items()}
        log = replace and self.search(
            [("receiver_id", "=", receiver.id), ("content_key", "=", vals["content_key"])]
        )
        if log:
            log.write(vals)  # the accepted record of this message becomes its held record
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
            log._send_rejection_notice(values)
        return log

    @api.model
    def _create_minimal(self, receiver, mail, error):
        """The last resort, when holding a mail failed itself: a log with what
        is certain (the mail as it arrived, its key), held as ``error``."""
        log = self.create(
            {
                "receiver_id": receiver.id,
                "content_key": mail.key,
                "message_id": evidence.clean_text(mail.message_id[:998]),
                "email_from": evidence.clean_text(mail.email_from),
                "subject": evidence.clean_text(mail.subject),
                "through_gateway": mail.through_gateway,
                "state": "held",
                "reason": "error",
                "explanation": self.env._(
                    "This mail could not be read or checked; it is kept as it arrived (%(error)s).",
                    error=evidence.clean_text(error),
                ),
            }
        )
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
                "The receiver %(receiver)s is not active, so it accepts no mail.",
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
            "spoofed": self.env._(
                "%(sender)s did not really send this mail: it fails the DMARC policy "
                "its domain publishes (reject or quarantine), or our mail server found "
                "no DKIM/SPF result that matches the sender's domain (%(details)s).",
                sender=sender,
                details=verdict.get("auth_details") or "-",
            ),
            "unauthenticated": self.env._(
                "This receiver accepts only authenticated mail (a DKIM signature or "
                "SPF pass aligned with %(sender)s), and this mail has none (%(details)s).",
                sender=sender,
                details=verdict.get("auth_details") or "-",
            ),
            "unverified": self.env._(
                "This receiver accepts only authenticated mail, and DNS did not answer "
                "while the mail was checked (%(details)s). It is checked again "
                "automatically and released once DNS answers and it is authenticated.",
                details=verdict.get("auth_details") or "-",
            ),
            "not_whitelisted": self.env._(
                "%(sender)s is not one of the trusted senders of this receiver.",
                sender=sender,
            ),
            "no_tls": self.env._(
                "This receiver accepts only mail delivered over TLS, and this mail "
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
                "No attachment is an invoice that this receiver processes (%(mode)s).",
                mode=dict(receiver._fields["processing"]._description_selection(self.env))[
                    receiver.processing
                ],
            ),
            "too_large": self.env._(
                "The message is %(size)s MB, over the limit of %(limit)s MB.",
                size=round(size / 1024 / 1024, 1),
                limit=self.env["ir.config_parameter"].sudo().get_param(PARAM % "max_size_mb") or 25,
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
        days = int(self.env["ir.config_parameter"].sudo().get_param(PARAM % "retention_days") or 30)
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

    def _send_rejection_notice(self, values):
        """Warn the receiver's contact, never the (possibly forged) sender.

        No notice for automatic mail (RFC 3834 Auto-Submitted) or bounces, none
        to the receiver's own address, and at most one per contact, reason and hour.
        """
        self.ensure_one()
        receiver = self.receiver_id
        contact = email_normalize(receiver.contact_email or "")
        if not contact or contact == (receiver.alias_full_name or "").lower():
            return
        if values.get("auto_submitted") not in (None, "", "no") or values.get("is_bounce"):
            return
        sender_local = (self.sender or "").partition("@")[0]
        if sender_local in ("mailer-daemon", "postmaster"):
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
        template = self.env.ref("account_email_receiver.mail_template_rejection_notice")
        template.sudo().send_mail(self.id, email_values={"recipient_ids": [], "email_to": contact})
        self.write({"notice_sent": True, "notice_email": contact})

    # --------------------------------------------------
    # After acceptance
    # --------------------------------------------------

    # --------------------------------------------------
    # Follow-up job: after the mail's own transaction
    # --------------------------------------------------

    def _follow_up_later(self):
        """The mail's transaction ends here: its follow-up (the robot's reading,
        posting, notices, the processing report) runs in a moment, in Odoo's
        own job machinery, as core's ``account_move_send`` does."""
        if pending := self.filtered(lambda log: not log.followed_up):
            pending.follow_up_ready = True
            self.env.ref("account_email_receiver.ir_cron_follow_up").sudo()._trigger()

    @api.model
    def _cron_follow_up(self, limit=FOLLOW_UP_BATCH):
        """The follow-up job: accepted mail not followed up yet, oldest first,
        each in a transaction of its own; then drafts a bookkeeper asked to
        read again. The attempt is committed before the reading, so that a
        worker that dies on a mail does not die on it forever."""
        # A mail whose transaction is still running (past the import's own
        # commit) is not taken; one that never finished (its worker died, and
        # no re-delivery came) is, after an hour.
        stalled = fields.Datetime.now() - timedelta(hours=1)
        logs = self.sudo().search(
            Domain("state", "in", ("accepted", "released"))
            & Domain("followed_up", "=", False)
            & (Domain("follow_up_ready", "=", True) | Domain("create_date", "<", stalled)),
            order="id",
            limit=limit,
        )
        for log in logs:
            log.follow_up_attempts += 1
            self._job_commit()
            try:
                with self.env.cr.savepoint():
                    log._as_its_mail()._follow_up()
            except (ConcurrencyError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise  # the job runs again, and so does this mail
            except Exception as error:  # noqa: BLE001 - the mail and its drafts stay
                _logger.exception("email receiver: the follow-up of log %s failed", log.id)
                log._follow_up_failed(error)
            self._job_commit(processed=1)
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("email_receiver_reading", "=", "queued"),
                    ("email_receiver_log_id.followed_up", "=", True),
                ],
                order="id",
                limit=limit,
            )
        )
        for move in moves:
            log = move.email_receiver_log_id._as_its_mail()
            earn(move.with_env(log.env)).email_receiver_review = False
            move.with_env(log.env)._email_receiver_read()
            if flagged := move.exists().filtered("email_receiver_review"):
                log._needs_review(flagged)
            self._job_commit(processed=1)
        if logs or moves:
            # Mail written in a cron job (the report, notices, invoices sent
            # on) waits for Odoo's hourly mail queue: wake it now.
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        if len(logs) == limit or len(moves) == limit:
            self.env.ref("account_email_receiver.ir_cron_follow_up")._trigger()

    def _as_its_mail(self):
        """This log as the mail's own transaction had it: the user the mail
        came in as (the gateway's, who authors the report, the notices and the
        invoices sent on, never the cron's OdooBot), in the receiver's company
        and its language."""
        self.ensure_one()
        receiver = self.receiver_id
        return (
            self.with_user(self.create_uid)
            .sudo()
            .with_company(receiver.company_id)
            .with_context(lang=receiver.company_lang or self.env.lang)
        )

    def _follow_up_failed(self, error):
        """A follow-up that failed (a bug, a template that cannot render):
        the log says so and needs review; its drafts stay as they are."""
        self.ensure_one()
        log = self.with_env(self.receiver_id._gateway_in_company_lang().env)
        log.write(
            {
                "followed_up": True,
                "state": "review",
                "explanation": log.env._(
                    "%(accepted)s The follow-up failed (%(error)s): check the documents; "
                    "nothing was posted or sent.",
                    accepted=log.explanation,
                    error=str(error),
                ),
            }
        )

    @api.model
    def _job_commit(self, processed=0):
        """Commit the job's progress, but never inside a test's transaction
        (core's own rule for its mid-way commits)."""
        if not modules.module.current_test:
            self.env["ir.cron"]._commit_progress(processed)

    def _follow_up(self):
        """The follow-up of accepted mail: first the conversion robot reads the
        drafts that wait for it, then ``_gateway_after_accept``. Once per log."""
        for log in self.filtered(lambda log: not log.followed_up):
            log = log.with_env(log.receiver_id._gateway_in_company_lang().env)  # noqa: PLW2901
            moves = log.move_ids
            if log.follow_up_attempts > FOLLOW_UP_ATTEMPTS:
                for move in moves.filtered(lambda m: m.email_receiver_reading == "queued"):
                    earn(move)._email_receiver_read_failed(
                        (move.email_receiver_pdf or {}).get("name") or "PDF",
                        log.env._("the reading stopped %(count)s times", count=FOLLOW_UP_ATTEMPTS),
                    )
            elif others := moves._email_receiver_read():
                summary = [
                    dict(entry, used=False, other=True) if entry.get("name") in others else entry
                    for entry in log.attachment_summary or ()
                ]
                log.write(
                    {
                        "attachment_summary": summary,
                        "explanation": " ".join(
                            filter(
                                None,
                                [
                                    log.explanation,
                                    log._explain_others({"attachments": summary}).strip(),
                                ],
                            )
                        ),
                    }
                )
            log._gateway_after_accept()

    def _gateway_after_accept(self):
        """Follow-up of accepted mail: chatter, duplicates, posting, notices.
        Runs once per log (``followed_up``), even when Odoo retries the mail."""
        for log in self.filtered(lambda log: not log.followed_up):
            log.followed_up = True
            log = log.with_env(log.receiver_id._gateway_in_company_lang().env)  # noqa: PLW2901
            receiver = log.receiver_id
            # The gateway's own writes are no edits of the bookkeeper's: Odoo's
            # "ask" flow (offer auto-post after 3 unedited bills) counts on it.
            moves = log.move_ids.with_context(skip_is_manually_modified=True)
            # A mail without a document Odoo could read: an empty draft of the supplier.
            moves._email_receiver_fill_partner(receiver._gateway_supplier())
            duplicates = moves._email_receiver_duplicates()
            for move in duplicates:
                move.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=log.env._("Possible duplicate invoice"),
                    note=log.env._(
                        "The reference %(ref)s was already used in %(others)s.",
                        ref=move.ref or move.name,
                        others=", ".join(move.duplicated_ref_ids.mapped("display_name")),
                    ),
                    user_id=receiver.create_uid.id,
                )
            flagged = moves.filtered("email_receiver_review")
            if flagged:
                log._needs_review(flagged)
            # Made from a PDF: never posted or sent before the bookkeeper confirms it.
            from_pdf = moves.filtered("email_receiver_pdf")
            if from_pdf - flagged and receiver.document_type != "purchase":
                log._confirm_first(from_pdf - flagged)
            automatic = moves - duplicates - flagged - from_pdf
            posts_or_sends = receiver.document_type == "sale" or (
                receiver.auto_send_xml and receiver.document_type == "sale_draft"
            )
            if automatic and posts_or_sends and log.auth_result != "pass":
                # Never post or send on what a forger may have written.
                log._hold_automatic(automatic)
                automatic = automatic.browse()
            if receiver.document_type == "purchase":
                log._autopost(moves, duplicates)
            if receiver.document_type == "sale":
                automatic._email_receiver_post()
            if receiver.auto_send_xml and receiver.document_type in (
                "sale",
                "sale_draft",
            ):
                automatic._email_receiver_send_xml()
            if receiver.notify_members and moves:
                receiver.message_post(
                    body=log.env._(
                        "%(count)s document(s) received from %(sender)s: %(moves)s",
                        count=len(moves),
                        sender=log.sender,
                        moves=", ".join(moves.mapped("display_name")),
                    ),
                    subtype_xmlid="account_email_receiver.mt_invoice_received",
                )
            if duplicates:
                log.explanation = log.env._(
                    "%(accepted)s Possible duplicate of an earlier invoice: %(moves)s; "
                    "not posted automatically.",
                    accepted=log.explanation,
                    moves=", ".join(duplicates.mapped("display_name")),
                )
            receiver._gateway_switch_tls_on(log)
            receiver._gateway_switch_auth_on(log)
            if receiver.send_processing_report and (
                recipients := receiver._processing_report_recipients(log)
            ):
                template = log.env.ref("account_email_receiver.mail_template_processing_report")
                template.sudo().send_mail(
                    log.id, email_values={"recipient_ids": [], "email_to": ",".join(recipients)}
                )
                log.report_email = email_normalize(receiver.contact_email or "") or False

    def _needs_review(self, moves):
        """Documents that differ from their e-invoice: the log says so, each gets
        an activity with the figures, and none is posted or sent automatically."""
        self.ensure_one()
        self.state = "review"
        for move in moves:
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Needs review: the document differs from the invoice"),
                note=Markup("<br/>").join(move.email_receiver_review.splitlines()),
                user_id=self.receiver_id.create_uid.id,
            )
        self.explanation = self.env._(
            "%(accepted)s Needs review: %(moves)s. %(reasons)s Not posted or sent automatically.",
            accepted=self.explanation,
            moves=", ".join(moves.mapped("display_name")),
            reasons=" ".join(" ".join(moves.mapped("email_receiver_review")).splitlines()),
        )

    def _autopost(self, moves, duplicates):
        """Odoo's own auto-post of bills (the supplier's "Auto-post bills"),
        for mail that proves itself (``tools/autopost.py``). Each bill says in
        its chatter why it posted itself, or what kept it a draft."""
        self.ensure_one()
        receiver = self.receiver_id
        rule_types = frozenset()
        if self.sender:
            rule_types = receiver._gateway_whitelist(receiver.id).trusts(self.sender)
            if "verified_users" in rule_types and not receiver._gateway_is_verified_user(
                self.sender
            ):
                rule_types = rule_types - {"verified_users"}
        released = self.state == "released" and self.released_by_id.id != SUPERUSER_ID
        posted, kept = self.env["account.move"], {}
        for move in moves.filtered(lambda m: m.state == "draft" and m.is_purchase_document()):
            facts = autopost.Facts(
                authenticated=self.auth_result == "pass" and self.through_gateway,
                rule_types=frozenset(rule_types),
                released=released,
                flagged=bool(move.email_receiver_review),
                duplicate=move in duplicates,
                # lines an e-invoice decoder imported (the robot imports none)
                einvoice=not move.email_receiver_pdf
                and any(move.invoice_line_ids.mapped("is_imported")),
                robot_sure=bool(move.email_receiver_pdf)
                and autopost.robot_sure(move.email_receiver_pdf),
                supplier_setting=move.partner_id.autopost_bills or "never",
                company_setting=bool(move.company_id.autopost_bills),
                abnormal_amount=False,  # below: Odoo's statistics query, only when needed
                hash_locked=bool(move.restrict_mode_hash_table),
            )
            reasons = autopost.blockers(facts)
            if not reasons and move.abnormal_amount_warning:
                reasons = autopost.blockers(dataclasses.replace(facts, abnormal_amount=True))
            if not reasons:
                try:
                    with self.env.cr.savepoint():
                        move._autopost_bill()  # Odoo's own checks, once more
                except Exception as error:  # noqa: BLE001 - the bill stays, as draft
                    move._email_receiver_todo(self.env._("Could not post the received bill"), error)
            if move.state == "posted":
                posted |= move
                reasons = ()
            else:
                reasons = reasons or ("odoo",)
            move._message_log(body=self._autopost_note(move, reasons))
            kept[str(move.id)] = list(reasons)
        values = {"autopost_reasons": kept}
        if posted:
            values["explanation"] = self.env._(
                "%(accepted)s Posted automatically: %(moves)s.",
                accepted=self.explanation,
                moves=", ".join(posted.mapped("display_name")),
            )
        self.write(values)

    def _autopost_note(self, move, reasons):
        """The chatter line of a bill: why it posted itself, or why not."""
        if not reasons:
            return self.env._(
                "Posted automatically: the mail was authenticated (%(details)s), %(sender)s "
                "is a trusted sender, the bill equals its invoice, and %(supplier)s is set "
                "to auto-post bills.",
                details=self.auth_details or "-",
                sender=self.sender,
                supplier=move.partner_id.display_name,
            )
        return self.env._(
            "Not posted automatically: %(reasons)s.",
            reasons=self._autopost_reasons_text(move, reasons),
        )

    def _autopost_reasons_text(self, move, reasons):
        """The reasons (``autopost.blockers``) that kept ``move`` a draft, in words."""
        supplier = move.partner_id.display_name or self.env._("the supplier")
        texts = {
            "supplier_ask": self.env._(
                "%(supplier)s is set to ask before auto-posting bills", supplier=supplier
            ),
            "supplier_never": self.env._(
                "%(supplier)s is set to never auto-post bills", supplier=supplier
            ),
            "company_off": self.env._("the company does not auto-validate bills"),
            "not_authenticated": self.env._("the mail is not authenticated"),
            "released": self.env._("the mail was released by hand"),
            "not_whitelisted": self.env._("no whitelist entry of this receiver trusts the sender"),
            "everyone": self.env._("only the whitelist entry 'everyone' trusts the sender"),
            "flagged": self.env._("the bill needs review"),
            "duplicate": self.env._("the bill may be a duplicate"),
            "not_einvoice": self.env._(
                "it is not an e-invoice, and the conversion robot is not sure of every field"
            ),
            "abnormal_amount": self.env._("its amount is unusual for this supplier"),
            "hash_locked": self.env._("its journal is locked with a hash"),
            "odoo": self.env._("Odoo's own auto-post checks did not pass"),
        }
        return "; ".join(texts[reason] for reason in reasons if reason in texts)

    def _confirm_first(self, moves):
        """Customer invoices the conversion robot made from a PDF: a to-do to
        check and confirm each; confirming sends it as UBL."""
        self.ensure_one()
        reason = self.env._(
            "Made from a PDF by the conversion robot: check it and confirm it; Odoo "
            "then sends it as an e-invoice (UBL). It is never sent before."
        )
        for move in moves:
            move._email_receiver_todo(self.env._("Check and confirm the invoice"), reason)
        self.explanation = self.env._(
            "%(accepted)s %(reason)s", accepted=self.explanation, reason=reason
        )

    def _hold_automatic(self, moves):
        """Documents of an unauthenticated mail stay drafts, and say why."""
        self.ensure_one()
        auth = dict(self._fields["auth_result"]._description_selection(self.env))[self.auth_result]
        reason = self.env._(
            "Not posted or sent automatically: the mail it came from is not "
            "authenticated (%(auth)s: %(details)s). Check the document, then post "
            "and send it yourself.",
            auth=auth,
            details=self.auth_details or "-",
        )
        for move in moves:
            move._email_receiver_todo(self.env._("Check: the mail was not authenticated"), reason)
        self.explanation = self.env._(
            "%(accepted)s %(reason)s", accepted=self.explanation, reason=reason
        )

    def _receipt_note(self):
        """The facts of the receipt, shown on each document's chatter."""
        self.ensure_one()
        tls = self.env._("yes (%s)", self.tls_protocol) if self.used_tls else self.env._("no")
        auth = dict(self._fields["auth_result"]._description_selection(self.env))[self.auth_result]
        return Markup("<p><b>%s</b></p><ul><li>%s</li><li>%s</li><li>%s</li><li>%s</li></ul>") % (
            self.env._("Received by email"),
            self.env._("Receiver: %s", self.receiver_id.display_name),
            self.env._("Sender: %s", self.sender or self.email_from),
            self.env._("TLS: %s", tls),
            self.env._("Authentication: %s", auth),
        )

    def _report_lines(self):
        """What became of each attachment, for the processing report."""
        self.ensure_one()
        summary = self.attachment_summary or [
            {"name": move.message_main_attachment_id.name or move.display_name, "used": True}
            for move in self.move_ids
        ]
        # Odoo takes XML files off the bill's attachments; its mail keeps them all.
        messages = (
            self.env["mail.message"]
            .sudo()
            .search_fetch(
                [("model", "=", "account.move"), ("res_id", "in", self.move_ids.ids)],
                ["res_id", "attachment_ids"],
                order="id",
            )
        )
        move_of = {move.display_name: move for move in self.move_ids}
        for message in messages:
            for file in message.attachment_ids:
                move_of.setdefault(file.name, self.move_ids.browse(message.res_id))
        lines = []
        for entry in summary:
            move = entry["used"] and move_of.get(entry["name"])
            if move:
                result = self.env._(
                    "%(document)s, %(amount)s",
                    document=move.ref or move.display_name,
                    amount=format_amount(self.env, move.amount_total, move.currency_id),
                )
                if move.email_receiver_review:
                    # The details stay with the bookkeeper (a new bank account
                    # is no news for whoever may have taken over a mailbox).
                    result = self.env._("%(result)s: needs review", result=result)
                elif move.state == "posted":
                    result = self.env._("%(result)s: posted", result=result)
                elif reasons := (self.autopost_reasons or {}).get(str(move.id)):
                    result = self.env._(
                        "%(result)s: draft, not posted automatically (%(reasons)s)",
                        result=result,
                        reasons=self._autopost_reasons_text(move, reasons),
                    )
            elif entry["used"]:
                result = self.env._("Read, but no document was made from it.")
            elif entry.get("other"):
                result = self.env._("Not an invoice (terms, a delivery note...): kept on the bill.")
            else:
                result = self.env._("Ignored: not an invoice (an XML e-invoice or a PDF).")
            lines.append({"name": _report_file_name(entry["name"]), "result": result})
        return lines

    def _report_reference(self):
        """What the processing report calls the mail, in its subject and text:
        our own words and figures, never the sender's free text (its subject)."""
        self.ensure_one()
        return self.env._(
            "your mail of %(date)s (%(count)s document(s))",
            date=format_datetime(self.env, self.date, dt_format="short"),
            count=len(self.move_ids),
        )

    # --------------------------------------------------
    # Actions
    # --------------------------------------------------

    def action_release_duplicate_invoice(self):
        """The explicit choice to release an invoice that is already in Odoo."""
        return self._action_release(release_duplicate_invoice=True)

    def action_release(self):
        return self._action_release()

    def _action_release(self, release_duplicate_invoice=False):
        """Process the kept mail as accepted.

        Any Email Receiver user may release mail held for an untrusted sender,
        no TLS, no invoice or its size; the other reasons (a possibly forged or
        unauthenticated sender, an inactive receiver, a duplicate, an error)
        and anything on a receiver that posts customer invoices are an
        administrator's decision. One release at a time (a row lock), never
        where documents already exist."""
        self.check_access("read")
        is_manager = self.env.user.has_group("account_email_receiver.group_email_receiver_manager")
        for log in self.sudo():
            if not is_manager and (
                log.reason in MANAGER_REASONS or log.receiver_id.document_type == "sale"
            ):
                raise AccessError(
                    self.env._(
                        "Only an Email Receiver administrator can release mail held as "
                        "'%(reason)s'.",
                        reason=dict(self._fields["reason"]._description_selection(self.env))[
                            log.reason
                        ]
                        if log.reason
                        else "",
                    )
                )
            log._lock_for_release()
            if log.state != "held":
                raise UserError(self.env._("Only held messages can be released."))
            if log.move_ids:
                raise UserError(
                    self.env._(
                        "Documents were already made from this message (%(moves)s); it is "
                        "not released again.",
                        moves=", ".join(log.move_ids.mapped("display_name")),
                    )
                )
            if not log.raw_attachment_id:
                raise UserError(
                    self.env._(
                        "The original mail of this message was purged; it cannot be released."
                    )
                )
            if log.reason == "too_large":
                raise UserError(
                    self.env._(
                        "Only the headers of this oversize mail were kept: ask the sender "
                        "to send it again, smaller, or raise the size limit first."
                    )
                )
            if log.reason == "duplicate_invoice" and not release_duplicate_invoice:
                raise UserError(
                    self.env._(
                        "This invoice is already in Odoo (%(bill)s). To make a second bill "
                        "anyway, use 'Release as a new invoice'.",
                        bill=log.duplicate_of_id.display_name or "?",
                    )
                )
            mail = log._kept_mail()  # the one parse of this release
            if log.reason in HELD_BEFORE_AUTHENTICATION:
                values = log._authenticate_for_release(mail)
                if values["auth_result"] == "fail" and not is_manager:
                    raise AccessError(
                        self.env._(
                            "This mail fails the DMARC policy of its sender's domain "
                            "(%(details)s): it may be forged. Only an Email Receiver "
                            "administrator can release it.",
                            details=values["auth_details"],
                        )
                    )
                log.write(values)
            # What the document checks may find is overruled only by those it
            # would be for (the administrator rule), a duplicate only by choice.
            overrule = {log.reason} | {r for r, _label in REASONS if r not in MANAGER_REASONS}
            if is_manager:
                overrule |= MANAGER_REASONS - {"duplicate_invoice"}
            if release_duplicate_invoice:
                overrule.add("duplicate_invoice")
            log._release(mail, overrule=frozenset(overrule))
        return True

    def _authenticate_for_release(self, mail):
        """The decision stopped before authentication (an untrusted sender, a
        size): check it now, so that whoever releases sees it, and so that
        nothing is posted or sent automatically from a forged mail. Returns the
        log's authentication values."""
        self.ensure_one()
        domain = (self.sender or "").rpartition("@")[2]
        values = self.receiver_id._gateway_authenticate(
            mail.headers, mail.raw, domain, through_gateway=mail.through_gateway
        )
        return {key: evidence.clean_text(value) for key, value in values.items()}

    def _lock_for_release(self):
        """Two clicks, or two bookkeepers, release a mail once: the second waits
        for nothing and is told."""
        self.ensure_one()
        try:
            self.lock_for_update(allow_referencing=True)  # SKIP LOCKED: no savepoint needed
        except LockError as error:
            raise UserError(self.env._("This message is being released right now.")) from error
        self.invalidate_recordset()

    def _still_held_after_lock(self, reason):
        """Lock this log (SKIP LOCKED) and read it again: whether it is still
        held for ``reason``. A release by hand and the re-check cron never
        both release one mail."""
        self.ensure_one()
        try:
            self.lock_for_update(allow_referencing=True)
        except LockError:
            return False
        self.invalidate_recordset()
        return self.state == "held" and self.reason == reason

    def action_release_and_trust(self):
        """Release, and trust this exact sender address from now on."""
        if not self.env.user.has_group("account_email_receiver.group_email_receiver_manager"):
            raise AccessError(
                self.env._("Only Email Receiver administrators can add trusted senders.")
            )
        for log in self:
            if not log.sender:
                raise UserError(self.env._("This message has no valid sender address to trust."))
            rule = self.env["email.receiver.rule"].search(
                [
                    ("receiver_id", "=", log.receiver_id.id),
                    ("rule_type", "=", "email"),
                    ("value", "=", log.sender),
                ]
            )
            if not rule:
                self.env["email.receiver.rule"].create(
                    {
                        "receiver_id": log.receiver_id.id,
                        "rule_type": "email",
                        "value": log.sender,
                    }
                )
                log.receiver_id.message_post(
                    body=self.env._(
                        "%(sender)s is now a trusted sender (released from held mail).",
                        sender=log.sender,
                    )
                )
        return self.action_release()

    def _release(self, mail, overrule=frozenset()):
        """Release this held mail (``mail``: its kept copy, parsed once). The
        document checks run again (``ReleaseRefused`` for what they find that
        ``overrule`` does not name)."""
        self.ensure_one()
        receiver = self.receiver_id.sudo()
        message_id = self.message_id or ""
        if message_id and self.env["mail.message"].sudo().search_count(
            [("message_id", "=", message_id)], limit=1
        ):
            # Odoo ignores a Message-Id it has seen: give the released copy its own.
            mail = IncomingMail.parse(
                _replace_message_id(mail.raw, f"<released-{self.id}-{message_id.strip('<>')}>"),
                through_gateway=mail.through_gateway,
            )
        defaults = receiver._literal_alias_defaults(receiver.alias_id)
        self.env["email.receiver"].sudo()._gateway_receive(
            mail,
            release=Release(receiver_id=receiver.id, log_id=self.id, overrule=overrule),
            model="account.move",
            custom_values=defaults,
        )
        self.write(
            {
                "state": "released",
                "followed_up": False,
                "released_by_id": self.env.user.id,
                "explanation": self.env._(
                    "%(before)s Released by %(user)s.",
                    before=self.explanation,
                    user=self.env.user.name,
                ),
            }
        )
        self._follow_up()
        receiver.message_post(
            body=self.env._(
                "Held message '%(subject)s' from %(sender)s released by %(user)s.",
                subject=self.subject,
                sender=self.sender or self.email_from,
                user=self.env.user.name,
            )
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

    # --------------------------------------------------
    # Cron
    # --------------------------------------------------

    @api.model
    def get_dashboard_state(self):
        """What the Email Receiver dashboard shows, within the user's companies."""
        companies = self.env.companies
        receiver_count = self.env["email.receiver"].search_count([])
        counts = dict(self._read_group([], ["state"], ["__count"]))
        titles = {
            "outcome": self.env._("Documents by outcome over time"),
            "company": self.env._("By company"),
            "document_type": self.env._("By document type"),
            "reason": self.env._("Top rejection reasons"),
        }
        if not self.env.user.has_group("base.group_multi_company"):
            del titles["company"]
        return {
            "receiver_count": receiver_count,
            "log_count": sum(counts.values()),
            "held_count": counts.get("held", 0),
            "review_count": counts.get("review", 0),
            "alias_domain": all(company.alias_domain_id for company in companies),
            "search_view_id": self.env.ref(
                "account_email_receiver.email_receiver_log_view_search"
            ).id,
            "charts": [
                {
                    "key": key,
                    "title": title,
                    "view_id": self.env.ref(
                        f"account_email_receiver.email_receiver_log_view_graph_{key}"
                    ).id,
                    "domain": [("state", "=", "held")] if key == "reason" else [],
                }
                for key, title in titles.items()
            ],
        }

    @api.model
    def _cron_recheck_unverified(self, limit=200):
        """Mail held because DNS did not answer, checked again: released once
        it is authenticated, held with the new reason once DNS says otherwise,
        left as it is while DNS still does not answer. Runs as the gateway."""
        logs = self.sudo().search(
            [
                ("state", "=", "held"),
                ("reason", "=", "unverified"),
                ("raw_attachment_id", "!=", False),
            ],
            order="date, id",
            limit=limit,
        )
        for log in logs:
            receiver = log.receiver_id._gateway_in_company_lang()
            log = log.with_env(receiver.env)  # noqa: PLW2901
            if not log._still_held_after_lock("unverified"):
                continue  # being released by hand right now, or already released
            if log.move_ids:
                continue  # documents exist (a failure after the import's commit): by hand
            mail = log._kept_mail()
            verdict = receiver._gateway_decide(
                mail.headers,
                raw_size=mail.size,
                raw=mail.raw,
                through_gateway=mail.through_gateway,
            )
            _logger.info(
                "email receiver: log %s checked again: %s", log.id, verdict.get("auth_details")
            )
            if verdict["auth_result"] == "temperror" or verdict["reason"] == "unverified":
                continue
            values = {
                "auth_result": verdict["auth_result"],
                "auth_details": evidence.clean_text(verdict.get("auth_details")),
                "auth_header": evidence.clean_text(verdict.get("auth_header") or False),
            }
            if verdict["reason"]:
                values["reason"] = verdict["reason"]
                values["explanation"] = log._explain(
                    verdict["reason"], verdict, receiver, mail.size
                )
                log.write(values)
                continue
            log._release_automatically(values, mail)

    def _release_automatically(self, values, mail):
        """Release one re-checked mail in a transaction of its own. Odoo's
        e-invoice import commits mid-way outside tests, so no savepoint can
        span it: commit before, commit after, roll back on failure (the mail
        stays held; the next run tries again)."""
        self.ensure_one()
        testing = bool(modules.module.current_test)
        if not testing:
            self.env["ir.cron"]._commit_progress()  # commits (the cron's own API)
        if not self._still_held_after_lock("unverified"):
            return  # the commit ended our lock: a bookkeeper released it meanwhile
        try:
            with contextlib.ExitStack() as stack:
                if testing:
                    stack.enter_context(self.env.cr.savepoint())
                self.write(values)
                self.explanation = self.env._(
                    "%(before)s DNS answered: the mail is authenticated (%(details)s) "
                    "and was released automatically.",
                    before=self.explanation,
                    details=values["auth_details"],
                )
                self._release(mail)
            if not testing:
                self.env["ir.cron"]._commit_progress(1)
        except ReleaseRefused as refused:
            # Authenticated now, but its documents fail a check: held for that.
            if not testing:
                self.env.cr.rollback()
            self.env.invalidate_all()
            self.write({**values, "reason": refused.reason, "explanation": refused.explanation})
        except Exception:  # noqa: BLE001 - it stays held; the next run tries again
            _logger.warning("email receiver: releasing log %s failed", self.id, exc_info=True)
            if not testing:
                self.env.cr.rollback()
            self.env.invalidate_all()

    @api.model
    def _cron_purge_held_mail(self, batch=1000):
        """Delete kept mail past its retention date, in batches until done (each
        committed outside tests); the log itself stays."""
        domain = Domain("purge_date", "<=", fields.Date.today()) & Domain(
            "raw_attachment_id", "!=", False
        )
        while logs := self.search(domain, limit=batch):
            logs.raw_attachment_id.unlink()
            logs.write({"purge_date": False})
            if not modules.module.current_test:
                self.env["ir.cron"]._commit_progress(len(logs))  # commits (the cron's own API)


def _report_file_name(name, limit=60):
    """A sender's file name as the report shows it: one line of word
    characters, dots, dashes and spaces, at most ``limit`` characters."""
    text = re.sub(r"[^\w.\- ]+", "_", " ".join(str(name or "").split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _replace_message_id(raw, new_id):
    """Replace (or add) the Message-Id header in the header block of a raw mail."""
    match = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")
    new_header = b"Message-Id: " + new_id.encode()
    head, count = re.subn(
        rb"(?im)^message-id:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", new_header, head, count=1
    )
    if not count:
        head = new_header + b"\r\n" + head
    return head + body
