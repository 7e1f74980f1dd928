"""The follow-up of accepted mail, after the mail's own transaction: the
conversion robot's reading, duplicates, posting and sending on, notices,
the processing report and the receiver's one-time switches. Run by the
follow-up job (``ir_cron_follow_up``), and by a release in its request."""

import dataclasses
import logging
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models, modules
from odoo.exceptions import ConcurrencyError
from odoo.fields import Domain
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import email_normalize, format_amount
from odoo.tools.i18n import format_list

from ..tools import autopost
from ..tools.grants import earn
from .email_receiver import send_to_each
from .email_receiver_log import FOLLOW_UP_PENDING

_logger = logging.getLogger(__name__)

FOLLOW_UP_BATCH = 50  # mails per run of the follow-up job; it triggers itself for more
FOLLOW_UP_ATTEMPTS = 3  # runs a worker may die in before a mail's reading is given up
REPORTS_PER_HOUR = 20  # processing reports to one address


# An invoice number as a processing report may repeat it: a number's shape,
# never a sentence (``_report_document``).
_INVOICE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]{0,29}")


# One method's result in ``auth_details``: ``dkim=pass (supplier.example, s=mail)``.
_AUTH_RESULT = re.compile(r"\b(dkim|spf|dmarc|arc)=(\w+)(?: \(([^)]*)\))?")


def auth_passes(details):
    """``(method, domain)`` of each method that passed, from a log's
    ``auth_details`` (our own checks name the domain first; a trusted
    server's results may name none: ``""``)."""
    passes = []
    for method, result, facts in _AUTH_RESULT.findall(details or ""):
        if result == "pass":
            domain = facts.split(",", 1)[0].strip()
            passes.append((method, "" if "=" in domain else domain))
    return passes


def _report_kind(name):
    """The kind of a sender's attachment, from its name, in a word of ours."""
    extension = str(name or "").rpartition(".")[2].lower()
    return {"pdf": "PDF", "xml": "XML"}.get(extension, "")


class EmailReceiverLogFollowUp(models.Model):
    _inherit = "email.receiver.log"

    # --------------------------------------------------
    # Follow-up job: after the mail's own transaction
    # --------------------------------------------------

    def _follow_up_later(self):
        """The mail's transaction ends here: its follow-up (the robot's reading,
        posting, notices, the processing report) runs in a moment, in Odoo's
        own job machinery, as core's ``account_move_send`` does."""
        self.filtered(lambda log: log.stage == "accepted")._queue_follow_up()

    def _queue_follow_up(self):
        """These accepted logs wait for the follow-up job, which starts now."""
        if self:
            self.stage = "queued"
            cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
                "account_email_receiver.ir_cron_follow_up", raise_if_not_found=True
            )
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()

    @api.model
    def _cron_follow_up(self, limit=FOLLOW_UP_BATCH):
        """The follow-up job: accepted mail not followed up yet, oldest first,
        each in a transaction of its own; then drafts a bookkeeper asked to
        read again. The attempt is committed before the reading, so that a
        worker that dies on a mail does not die on it forever."""
        # A mail whose transaction is still running (past the import's own
        # commit; a release in its request) is not taken; one that never
        # finished (its worker died, and no re-delivery came) is, an hour
        # after its log was last written.
        stalled = fields.Datetime.now() - timedelta(hours=1)
        logs = self.sudo().search(
            Domain("stage", "=", "queued")
            | (Domain("stage", "=", "accepted") & Domain("write_date", "<", stalled)),
            order="id",
            limit=limit,
        )
        for log in logs:
            _logger.info("email receiver: following up log %s", log.id)
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
                    ("email_receiver_log_id.stage", "=", "done"),
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
        if (logs or moves) and self.env["mail.mail"].sudo().search_count(
            [("state", "=", "outgoing")], limit=1
        ):
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
                "stage": "done",
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
        for log in self.filtered(lambda log: log.stage in FOLLOW_UP_PENDING):
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
        Runs once per log (stage ``done``), even when Odoo retries the mail."""
        for log in self.filtered(lambda log: log.stage in FOLLOW_UP_PENDING):
            log.stage = "done"
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
                sent = send_to_each(template.sudo(), log, recipients)
                contact = email_normalize(receiver.contact_email or "") or False
                log.write(
                    {
                        "report_email": contact if contact in sent else False,
                        "report_sender": log.sender if log.sender in sent else False,
                    }
                )

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
        # Released by a person, whatever the log's state became since (review).
        released = bool(self.released_by_id) and self.released_by_id.id != SUPERUSER_ID
        confirmed_layout = receiver._pdf_confirmed_layout()
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
                untrusted_bank=move._email_receiver_pays_untrusted(),
                layout=autopost.layout(move.email_receiver_pdf, confirmed_layout)
                if move.email_receiver_pdf
                else "",
            )
            reasons = autopost.blockers(facts)
            if not reasons and move.abnormal_amount_warning:
                reasons = autopost.blockers(dataclasses.replace(facts, abnormal_amount=True))
            if not reasons:
                try:
                    with self.env.cr.savepoint():
                        earn(move)._autopost_bill()  # Odoo's own checks, once more
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
        """The chatter line of a bill: why it posted itself, or why not, and
        the state of the account it pays to. Stored once, for every reader:
        in the company's language (the follow-up's), the evidence in words."""
        if not reasons:
            note = self.env._(
                "Posted automatically: the mail was authenticated (%(evidence)s), "
                "%(sender)s is on the whitelist, the bill equals its invoice, and "
                "%(supplier)s is set to auto-post bills.",
                evidence=self._auth_in_words(),
                sender=self.sender,
                supplier=move.partner_id.display_name,
            )
            if move.email_receiver_pdf:
                anchor = self.receiver_id.sudo().pdf_anchor_ids.filtered("confirmed_by_id")[:1]
                note = self.env._(
                    "%(note)s The PDF was read by the layout %(user)s confirmed by posting "
                    "%(bill)s.",
                    note=note,
                    user=anchor.confirmed_by_id.name,
                    bill=anchor.confirmed_move_id.display_name or "-",
                )
        else:
            note = self.env._(
                "Not posted automatically: %(reasons)s.",
                reasons=self._autopost_reasons_text(move, reasons),
            )
        return self.env._("%(note)s %(bank)s", note=note, bank=self._autopost_bank_text(move))

    def _autopost_bank_text(self, move):
        """The state of the account ``move`` pays to, in one sentence."""
        state = move._email_receiver_bank_state()
        if state == "none":
            return self.env._("The bill names no bank account to pay to.")
        account = move.partner_bank_id.sudo().with_context(active_test=False).acc_number
        if state == "trusted":
            return self.env._(
                "Its bank account %(account)s is trusted for payments.", account=account
            )
        return self.env._(
            "Its bank account %(account)s is not trusted for payments: check it with the "
            "supplier before paying.",
            account=account,
        )

    def _auth_in_words(self):
        """What proved this mail (``auth_details``), in words: "signed by
        supplier.example (DKIM)", never ``dkim=pass``."""
        _ = self.env._
        own = (self.sender or "").rpartition("@")[2]
        words = {
            "dkim": lambda domain: _("signed by %(domain)s (DKIM)", domain=domain),
            "spf": lambda domain: _(
                "sent from a server that %(domain)s allows (SPF)", domain=domain
            ),
            "dmarc": lambda domain: _(
                "in line with the published policy of %(domain)s (DMARC)", domain=domain
            ),
            "arc": lambda domain: _(
                "forwarded by %(domain)s, which vouches for its checks (ARC)", domain=domain
            ),
        }
        found = [words[method](domain or own) for method, domain in auth_passes(self.auth_details)]
        return format_list(self.env, found) if found else _("by its sender's domain")

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
            "not_whitelisted": self.env._("the sender is not on the whitelist"),
            "everyone": self.env._("only the whitelist entry 'everyone' trusts the sender"),
            "flagged": self.env._("the bill needs review"),
            "duplicate": self.env._("the bill may be a duplicate"),
            "not_einvoice": self.env._(
                "it is not an e-invoice, and the conversion robot is not sure of every field"
            ),
            "abnormal_amount": self.env._("its amount is unusual for this supplier"),
            "hash_locked": self.env._("its journal is locked with a hash"),
            "untrusted_bank": self.env._(
                "its bank account %(account)s is not trusted for payments",
                account=move.partner_bank_id.sudo().acc_number or "-",
            ),
            "layout_unconfirmed": self.env._(
                "nobody has yet posted a bill read from a PDF of %(supplier)s, so no "
                "person confirmed its layout (a supplier's first PDF never posts itself)",
                supplier=supplier,
            ),
            "layout_differs": self.env._(
                "the PDF's layout differs from the one a person confirmed for %(supplier)s",
                supplier=supplier,
            ),
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
        for number, entry in enumerate(summary, start=1):
            move = entry["used"] and move_of.get(entry["name"])
            if move:
                result = self.env._(
                    "%(document)s, %(amount)s",
                    document=self._report_document(move),
                    amount=format_amount(self.env, move.amount_total, move.currency_id),
                )
                if move.state == "posted" and not move.email_receiver_review:
                    result = self.env._(
                        "%(result)s: received and entered in our accounts under number %(number)s",
                        result=result,
                        number=move.name,
                    )
                else:
                    # Why it waits (a review, what kept it from posting itself)
                    # stays with the bookkeeper: a new bank account or a trust
                    # rule is no news for whoever may have taken over a mailbox.
                    result = self.env._(
                        "%(result)s: received; it needs review by our accounts team "
                        "before it is entered",
                        result=result,
                    )
            elif entry["used"]:
                result = self.env._("Read, but no document was made from it.")
            elif entry.get("other"):
                result = self.env._("Not an invoice (terms, a delivery note...): kept on the bill.")
            else:
                result = self.env._("Ignored: not an invoice (an XML e-invoice or a PDF).")
            kind = _report_kind(entry["name"])
            lines.append(
                {
                    # Our words: a sender's file name is its own free text.
                    "name": self.env._("Attachment %(number)s (%(kind)s)", number=number, kind=kind)
                    if kind
                    else self.env._("Attachment %(number)s", number=number),
                    "result": result,
                }
            )
        return lines

    def _report_document(self, move):
        """What the report calls a bill: the invoice's number when it has the
        shape of one (letters, digits, ``./_-``, with a digit), else Odoo's name."""
        ref = (move.ref or "").strip()
        if _INVOICE_NUMBER.fullmatch(ref) and any(char.isdigit() for char in ref):
            return ref
        return move.display_name

    def _report_reference(self):
        """What the processing report calls the mail, in its subject and text:
        our own words and figures, never the sender's free text (its subject)."""
        self.ensure_one()
        return self.env._(
            "your mail of %(date)s (%(documents)s)",
            date=self._written_datetime(self.date),
            documents=self._documents_text(len(self.move_ids)),
        )

    def _documents_text(self, count):
        """A count of documents in words, a plural of its own for each count."""
        if not count:
            return self.env._("no document")
        if count == 1:
            return self.env._("1 document")
        return self.env._("%(count)s documents", count=count)


class EmailReceiverFollowUp(models.Model):
    _inherit = "email.receiver"

    def _gateway_switch_tls_on(self, log):
        """TLS only switches itself on once per receiver, after the first
        accepted mail that reached us over TLS (never from a held mail)."""
        self.ensure_one()
        if self.tls_only or self.tls_only_switched or not log.used_tls:
            return
        self.sudo().write({"tls_only": True, "tls_only_switched": True})
        self.sudo().message_post(
            body=self.env._(
                "The first mail over TLS arrived (from %(sender)s): from now "
                "on only mail delivered over TLS is accepted.",
                sender=log.sender,
            )
        )

    def _gateway_switch_auth_on(self, log):
        """Authentication becomes required by itself once per receiver, after
        the first accepted mail that was authenticated (never from a held one)."""
        self.ensure_one()
        if (
            self.require_authentication
            or self.require_authentication_switched
            or log.auth_result != "pass"
        ):
            return
        self.sudo().write({"require_authentication": True, "require_authentication_switched": True})
        self.sudo().message_post(
            body=self.env._(
                "The first authenticated mail arrived (from %(sender)s: %(details)s): "
                "from now on only authenticated mail is accepted.",
                sender=log.sender,
                details=log._auth_in_words(),
            )
        )

    def _processing_report_recipients(self, log):
        """Where the processing report may go: the contact, and the sender
        only when its mail was authenticated, sent by a person (no autoresponder,
        list or report: RFC 3834) and the rule is not 'everyone'; at most
        REPORTS_PER_HOUR to the contact, to one sender, and to all senders of
        this receiver together (a new sender string is no new allowance)."""
        self.ensure_one()
        if self._reports_to_contact_last_hour() >= REPORTS_PER_HOUR:
            return []  # a flood of mail is no flood of reports (as for held-mail notices)
        recipients = [self.contact_email]
        if (
            log.sender
            and log.auth_result == "pass"
            and not log.automatic
            and not self.has_everyone_rule
            and log.sender != email_normalize(self.contact_email)
            and self._reports_last_hour(log.sender) <= REPORTS_PER_HOUR
            and self._reports_to_senders_last_hour() < REPORTS_PER_HOUR
        ):
            recipients.append(log.sender)
        return recipients

    def _logs_last_hour(self, domain, limit=REPORTS_PER_HOUR):
        """How many logs of the last hour match ``domain`` (up to ``limit``):
        the count each rate limit of our mail reads."""
        return (
            self.env["email.receiver.log"]
            .sudo()
            .search_count(
                Domain(domain) & Domain("date", ">=", fields.Datetime.now() - timedelta(hours=1)),
                limit=limit,
            )
        )

    def _reports_to_senders_last_hour(self):
        """Processing reports this receiver sent to senders in the last hour."""
        return self._logs_last_hour([("receiver_id", "=", self.id), ("report_sender", "!=", False)])

    def _reports_to_contact_last_hour(self):
        """Processing reports the contact got in the last hour, from any receiver."""
        contact = email_normalize(self.contact_email or "")
        return self._logs_last_hour([("report_email", "=", contact)]) if contact else 0

    def _reports_last_hour(self, sender):
        """Accepted mails (each with its report) from ``sender`` in the last hour."""
        return self._logs_last_hour(
            [("receiver_id", "=", self.id), ("sender", "=", sender), ("state", "=", "accepted")],
            limit=REPORTS_PER_HOUR + 1,
        )
