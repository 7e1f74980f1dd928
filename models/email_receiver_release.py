"""Held mail: its release by a bookkeeper or an administrator, the cron
that checks mail held for an unanswered DNS again, and the purge of held
mail past its retention."""

import contextlib
import logging
import re

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, LockError, UserError
from odoo.fields import Domain

from ..tools import evidence
from ..tools.incoming_mail import IncomingMail, Release
from .email_receiver_facts import ReleaseRefused
from .email_receiver_log import (
    FOLLOW_UP_PENDING,
    HELD_BEFORE_AUTHENTICATION,
    MANAGER_REASONS,
    REASONS,
)

_logger = logging.getLogger(__name__)


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


class EmailReceiverLogRelease(models.Model):
    _inherit = "email.receiver.log"

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
            if log._release_retried():
                continue
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
                self.env._("Only Email Receiver administrators can add to the whitelist.")
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
                        "%(sender)s is now on the whitelist (released from held mail).",
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
        # Released before Odoo's import runs: it commits mid-way, and from that
        # commit on another worker's follow-up job sees this log and its drafts.
        # It sees a released mail (never posted automatically) that is not
        # ready for it (this request follows it up), never a held one.
        held = {
            "state": self.state,
            "stage": self.stage,
            "released_by_id": self.released_by_id.id,
            "explanation": self.explanation,
        }
        self.write(
            {
                "state": "released",
                "stage": "accepted",
                "released_by_id": self.env.user.id,
                "explanation": self.env._(
                    "%(before)s Released by %(user)s.",
                    before=self.explanation,
                    user=self.env.user.name,
                ),
            }
        )
        defaults = receiver._literal_alias_defaults(receiver.alias_id)
        try:
            self.env["email.receiver"].sudo()._gateway_receive(
                mail,
                release=Release(receiver_id=receiver.id, log_id=self.id, overrule=overrule),
                model="account.move",
                custom_values=defaults,
            )
        except ReleaseRefused:
            # Refused before the import (and its commit): held, as it was,
            # also for a caller that goes on in this transaction.
            self.write(held)
            raise
        self._release_follow_up()

    def _release_follow_up(self):
        self._follow_up()
        self.receiver_id.sudo().message_post(
            body=self.env._(
                "Held message '%(subject)s' from %(sender)s released by %(user)s.",
                subject=self.subject,
                sender=self.sender or self.email_from,
                user=self.env.user.name,
            )
        )

    def _release_retried(self):
        """Odoo runs a request again after a concurrency error; past the
        import's own commit, this user's release already stands (released,
        its documents made): what it had not finished, its follow-up, runs
        now. Whether that is so (then done)."""
        self.ensure_one()
        if (
            self.state == "released"
            and self.stage in FOLLOW_UP_PENDING
            and self.released_by_id == self.env.user
            and self.move_ids
        ):
            self._release_follow_up()
            return True
        return False

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
