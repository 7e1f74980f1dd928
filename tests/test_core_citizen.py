from unittest.mock import patch

from odoo import models
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account.models.account_move import AccountMove
from odoo.addons.mail.models.mail_thread import MailThread

from ..models.email_receiver_facts import EmailReceiverFacts
from .common import TRUSTED_SENDER, EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestGoodCitizen(EmailReceiverCommon):
    """What core does for aliases and outgoing mail still happens with the
    addon installed; only a receiver's own mail is treated differently."""

    @mute_logger("odoo.addons.account_email_receiver.models.email_receiver")
    def test_alias_that_cannot_create_its_document(self):
        # A dangling journal in the alias defaults: Odoo's message_new fails, as
        # in core's test_message_process_alias_config_invalid_defaults.
        alias = self.receiver.alias_id
        alias.sudo().alias_defaults = repr(
            {**self.receiver._alias_defaults(), "journal_id": 999999}
        )
        raw = self.mail()
        with patch.object(MailThread, "_routing_create_bounce_email", autospec=True) as bounce:
            self.process(raw)
        bounce.assert_not_called()  # never answer a possibly forged sender
        self.assertFalse(self.outgoing(TRUSTED_SENDER))
        self.assertEqual(alias.alias_status, "invalid")
        log = self.logs()
        self.assertRecordValues(log, [{"state": "held", "reason": "error"}])
        self.assertFalse(log.move_ids)
        activity = self.receiver.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant, "the receiver's owner is told")
        self.assertEqual(activity.summary, "This address could not create a document")

    def test_a_bill_mail_goes_through_the_models_whole_routing_chain(self):
        # Every module's extension of account.move's route check runs for a
        # trusted sender's mail with a document; only the one case account
        # would bounce (no attachment) steps over account's check.
        original = AccountMove._routing_check_route
        with patch.object(
            AccountMove, "_routing_check_route", autospec=True, side_effect=original
        ) as account_check:
            log = self.receive()
            self.assertEqual(log.state, "accepted")
            self.assertEqual(account_check.call_count, 1, "account's check ran")
            held = self.receive(attachments=(), subject="Our letter")
        self.assertRecordValues(held, [{"state": "held", "reason": "no_document"}])
        self.assertEqual(account_check.call_count, 1, "no bounce check for mail without one")
        self.assertFalse(self.outgoing(TRUSTED_SENDER), "never to the sender")

    def test_an_upload_outside_the_mail_is_read_by_core_and_refused_with_a_dtd(self):
        # The XML hardening is global, on purpose (README, Security): Odoo's own
        # upload of an e-invoice still makes its bill; one with a DTD gets no
        # tree, so its entities are never expanded, and the draft stays empty.
        journal = self.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", self.env.company.id)], limit=1
        )
        self.supplier.vat = "GB1232434"  # the sample's seller, known to Odoo
        # Odoo's import writes the seller's contact: a bookkeeper with the
        # right to edit contacts, as core's own upload tests have.
        uploader = self._new_user(
            "uploader", "account.group_account_invoice,base.group_partner_manager"
        )
        Attachment = self.env["ir.attachment"].with_user(uploader)
        upload = Attachment.create({"name": "bill.xml", "raw": self.ubl})
        bill = journal.with_user(uploader)._create_document_from_attachment(upload.ids)
        self.assertRecordValues(
            bill, [{"amount_total": 1656.25, "ref": "Snippet1", "partner_id": self.supplier.id}]
        )
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            + self.ubl.split(b"?>", 1)[1].replace(b"Snippet1", b"&lol2;")
        )
        upload = Attachment.create({"name": "bomb.xml", "raw": bomb})
        draft = journal.with_user(uploader)._create_document_from_attachment(upload.ids)
        self.assertRecordValues(draft, [{"amount_total": 0.0, "ref": False}])
        self.assertFalse(draft.invoice_line_ids)

    def test_no_query_for_mail_that_is_not_for_a_receiver(self):
        # What the addon adds in front of Odoo's message_process, for mail to
        # another address: a header parse, no query (the routing table is cached).
        raw = self.mail(attachments=(), to="nobody@elsewhere.test")
        Thread = self.env["mail.thread"]
        with patch.object(MailThread, "message_process", autospec=True, return_value=False) as core:
            Thread.message_process(None, raw)  # fills the cache
            with self.assertQueryCount(0):
                Thread.message_process(None, raw)
        self.assertEqual(core.call_count, 2, "core processed the mail, unchanged")
        # A database without receivers does not even parse the headers.
        self.env["email.receiver"].sudo().search([("company_id", "!=", False)]).unlink()
        with (
            patch.object(MailThread, "message_process", autospec=True, return_value=False),
            patch("email.parser.BytesHeaderParser.parsebytes") as parse,
        ):
            Thread.message_process(None, raw)
        parse.assert_not_called()

    def test_the_alias_check_only_judges_and_writes_nothing(self):
        # Like core's and mail_group's, a receiver's _alias_get_error returns
        # an error or None: the log, the kept mail, the held notice and the
        # alias status are written by the steps after it. Counted: every ORM
        # create, write and unlink, and every SQL statement that changes a row.
        writes, calls = [], []
        judging = []
        judge = EmailReceiverFacts._alias_get_error

        def counted_judge(receiver, *args):
            calls.append(receiver.id)
            judging.append(True)
            try:
                return judge(receiver, *args)
            finally:
                judging.pop()

        def spy(name):
            original = getattr(models.BaseModel, name)

            def counted(records, *args, **kwargs):
                if judging:
                    writes.append((name, records._name))
                return original(records, *args, **kwargs)

            return counted

        execute = type(self.env.cr).execute

        def counted_execute(cr, query, *args, **kwargs):
            if judging and str(query).lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                writes.append(("sql", str(query)[:60]))
            return execute(cr, query, *args, **kwargs)

        self.receiver.alias_id.sudo().alias_status = "not_tested"
        with (
            patch.object(EmailReceiverFacts, "_alias_get_error", counted_judge),
            patch.object(models.BaseModel, "create", spy("create")),
            patch.object(models.BaseModel, "write", spy("write")),
            patch.object(models.BaseModel, "unlink", spy("unlink")),
            patch.object(type(self.env.cr), "execute", counted_execute),
        ):
            accepted = self.receive()
            held = self.receive(sender="billing@stranger.example", subject="Pay us")
        self.assertEqual(calls, [self.receiver.id, self.receiver.id], "it judged both mails")
        self.assertEqual(writes, [], "the alias check wrote nothing")
        # What the steps after it wrote, as a bookkeeper sees it.
        self.assertRecordValues(accepted, [{"state": "accepted", "reason": False}])
        self.assertEqual(accepted.move_ids.amount_total, 1656.25)
        self.assertEqual(self.receiver.alias_id.alias_status, "valid")
        self.assertHeld(held, "not_whitelisted")
        self.assertFalse(self.outgoing("stranger.example"), "no answer to a stranger")
