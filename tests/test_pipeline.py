"""One mail, one path: what Odoo's own mail handling would do differently
to mail for a receiver (threading, forwarded messages), on the log and the bill."""

import importlib.util
from ast import literal_eval
from email import message_from_bytes, policy
from email.message import EmailMessage
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import file_path, mute_logger

from ..tools import evidence
from .common import SPF_PASS, EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestPipeline(EmailReceiverCommon):
    def test_a_reply_with_a_new_invoice_makes_a_new_bill(self):
        # The supplier answers its own earlier invoice mail with the next invoice:
        # Odoo's threading would post it on the first bill and import nothing.
        first_id = "<first-invoice@supplier.example>"
        self.process(self.mail("INV-A", message_id=first_id, authenticated=True))
        first = self.last_log().move_ids
        self.assertEqual(first.ref, "INV-A")
        reply = self.mail(
            "INV-B",
            subject="Re: Invoice INV-A",
            headers=[SPF_PASS, ("In-Reply-To", first_id), ("References", first_id)],
        )
        self.process(reply.replace(b"\n", b"\r\n"))  # as SMTP carries it
        log = self.last_log()
        self.assertEqual(len(self.logs()), 2)
        self.assertEqual((log.state, len(log.move_ids)), ("accepted", 1), log.explanation)
        self.assertEqual(log.move_ids.ref, "INV-B")
        self.assertNotEqual(log.move_ids, first)
        self.assertEqual(log.move_ids.company_id, self.receiver.company_id)
        self.assertEqual(first.amount_total, 1656.25)

    def test_one_header_parse_and_one_receiver_lookup_per_mail(self):
        # message_process (mailgate, IMAP/POP): the gateway parses the headers
        # once and looks the receivers up once; Odoo parses the whole mail
        # once, dkimpy once (it reads the raw bytes itself), and the e-invoice
        # is parsed once for the gateway's checks and Odoo's import, and read
        # once for what it declares (the buyer, the duplicate check and the
        # reconciliation). A stranger's mail costs no authentication and no XML.
        accepted = self.mail(authenticated=True)
        held = self.mail(attachments=(), sender="someone@stranger.example", subject="not trusted")
        once = {"headers": 1, "lookups": 1, "odoo": 1}
        for raw, state, parses in (
            (accepted, "accepted", {**once, "dkimpy": 1, "xml": 1, "declared": 1}),
            (held, "held", once),
        ):
            with self.count_parses() as counted:
                self.process(raw)
            self.assertEqual(self.last_log().state, state)
            self.assertEqual(dict(counted), parses, state)
        self.assertEqual(len(self.logs()), 2, "two mails in, two log records out")
        self.assertEqual(self.logs()[0].move_ids.amount_total, 1656.25)

    def test_a_release_parses_the_kept_mail_once(self):
        # The release enters the same path: one header parse (authentication of
        # the kept mail included), no receiver lookup (the log names it).
        self.process(self.mail(sender="billing@other-supplier.example", authenticated=True))
        log = self.last_log()
        self.assertEqual((log.state, log.reason), ("held", "not_whitelisted"))
        with self.count_parses() as counted:
            log.with_user(self.accountant).action_release()
        self.assertEqual(
            dict(counted), {"headers": 1, "odoo": 1, "dkimpy": 1, "xml": 1, "declared": 1}
        )
        self.assertEqual(log.state, "released")
        self.assertEqual(log.move_ids.amount_total, 1656.25)
        self.assertEqual(len(self.logs()), 1)

    def test_a_forwarded_invoice_becomes_its_bill(self):
        inner = EmailMessage()
        inner["From"] = "billing@supplier.example"
        inner["Subject"] = "Invoice INV-F"
        inner.set_content("See attached.")
        inner.add_attachment(
            self.invoice("INV-F"), maintype="application", subtype="xml", filename="f.xml"
        )
        raw = self.mail(attachments=(), subject="Fwd: Invoice INV-F", headers=[SPF_PASS])
        outer = message_from_bytes(raw, policy=policy.default)
        outer.add_attachment(inner)  # message/rfc822
        self.process(outer.as_bytes())
        log = self.last_log()
        self.assertEqual(len(self.logs()), 1)
        self.assertEqual(log.state, "accepted", log.explanation)
        self.assertEqual(log.move_ids.ref, "INV-F")
        self.assertEqual(log.move_ids.amount_total, 1656.25)

    def test_an_encoded_word_to_goes_through_the_receiver(self):
        raw = self.mail(
            to="=?utf-8?b?c3VwcGxpZXItYmlsbHNAcmVjZWl2ZXIudGVzdA==?=",
            sender="someone@stranger.example",
        )
        self.process(raw)
        log = self.last_log()
        self.assertEqual(len(self.logs()), 1, "the receiver's rules apply, with its one log")
        self.assertEqual((log.state, log.reason), ("held", "not_whitelisted"))
        self.assertFalse(
            self.env["account.move"].search([("invoice_source_email", "ilike", "stranger")])
        )

    def test_follow_ups_run_exactly_once_after_a_retry(self):
        # The first run stops after Odoo's import committed the bill and the log
        # (a serialization failure, then Odoo's retry): the follow-up did not run.
        raw = self.mail(authenticated=True)
        with patch.object(
            type(self.env["email.receiver.log"]), "_gateway_after_accept", autospec=True
        ):
            self.process(raw)
        log = self.last_log()
        self.assertEqual((log.state, log.stage, len(log.move_ids)), ("accepted", "queued", 1))
        self.assertFalse(self.outgoing("accounts@supplier.example"), "no report yet")
        self.process(raw)  # the retry: the same mail
        self.assertEqual(len(self.logs()), 1)
        self.assertEqual(log.stage, "done")
        self.assertEqual(len(self.outgoing("accounts@supplier.example")), 1, "the report, once")
        self.process(raw)  # and a later re-delivery changes nothing
        self.assertEqual(len(self.outgoing("accounts@supplier.example")), 1)
        self.assertEqual(len(log.move_ids), 1)

    def test_the_purge_runs_until_it_is_done(self):
        for number in range(5):
            self.process(
                self.mail(
                    attachments=(), sender=f"s{number}@stranger.example", subject=f"held {number}"
                )
            )
        logs = self.logs()
        self.assertEqual(set(logs.mapped("state")), {"held"})
        logs.sudo().purge_date = "2026-01-01"
        self.env["email.receiver.log"].sudo()._cron_purge_held_mail(batch=2)
        self.assertFalse(logs.raw_attachment_id)
        self.assertFalse(any(logs.mapped("purge_date")))

    def test_100_kb_headers_are_read_in_bounded_pieces(self):
        # Nested comments and a huge From are read in linear time, on at most
        # MAX_TRACE characters of a trace header, and a From over MAX_FROM is
        # malformed before any parser sees it (the time it takes: make bench).
        read = []
        strip = evidence._strip_comments

        def recording(text):
            read.append(len(text))
            return strip(text)

        nested = "(" * 50_000 + ")" * 50_000
        cases = {
            "received": self.mail(
                "R",
                received=f"from x {nested} by mx.receiver.test with ESMTPS id 1; Mon, 23 Nov 2026",
            ),
            "from": self.mail("F", sender="placeholder@supplier.example").replace(
                b"From: placeholder@supplier.example",
                b"From: " + b"a" * 100_000 + b" <billing@supplier.example>",
                1,
            ),
        }
        for name, raw in cases.items():
            before = len(self.logs())
            with patch.object(evidence, "_strip_comments", recording):
                self.process(raw)
            self.assertEqual(len(self.logs()), before + 1, f"{name}: one log")
        self.assertTrue(read)
        self.assertLessEqual(max(read), evidence.MAX_TRACE)
        self.assertEqual(self.logs()[-1].reason, "malformed_from", "a 100 KB From")

    def test_held_mail_switches_nothing_on(self):
        # TLS only and authenticated only switch on after a mail that is accepted:
        # never after an oversize mail, a duplicate or an error, however good its evidence.
        self.receiver.write({"tls_only": False, "require_authentication": False})
        good = {"authenticated": True}  # and delivered over TLS (build_mail's entry hop)
        self.env["ir.config_parameter"].sudo().set_param("account_email_receiver.max_size_mb", 1)
        self.process(
            self.mail(
                **good,
                attachments=[
                    ("i.xml", self.ubl, "application/xml"),
                    ("x.pdf", b"0" * 1_100_000, "application/pdf"),
                ],
            )
        )
        self.assertEqual(self.last_log().reason, "too_large")
        self.env["ir.config_parameter"].sudo().set_param("account_email_receiver.max_size_mb", 25)
        plain = "from mail.supplier.example ([192.0.2.10]) by mx.receiver.test with ESMTP id 9; Mon"
        self.process(self.mail("P", received=plain, message_id="<reused@supplier.example>"))
        self.assertEqual(self.last_log().state, "accepted", "no TLS, not authenticated")
        self.process(
            self.mail("Q", **good, message_id="<reused@supplier.example>", subject="other content")
        )
        self.assertEqual(self.last_log().reason, "duplicate")
        with patch.object(
            type(self.env["email.receiver.log"]), "_receipt_note", side_effect=RuntimeError("boom")
        ):
            self.process(self.mail("E", **good))
        self.assertEqual(self.last_log().reason, "error")
        self.assertEqual(len(self.logs()), 4)
        self.assertRecordValues(
            self.receiver, [{"tls_only": False, "require_authentication": False}]
        )

    def _migrate(self, version):
        path = file_path(f"account_email_receiver/migrations/{version}/pre-migration.py")
        spec = importlib.util.spec_from_file_location("aer_migration", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()

    def test_migration_moves_forged_logs_to_their_word(self):
        # 19.0.1.4.0: the glossary's word; the old value is written by SQL only.
        old = "spoofed"  # glossary: the old stored value
        self.process(
            self.mail(attachments=(), sender="someone@stranger.example", subject="held before")
        )
        log = self.last_log()
        saved = self.env["ir.filters"].create(
            {
                "name": "Forged mail",
                "model_id": "email.receiver.log",
                "domain": f"[('reason', '=', '{old}')]",
            }
        )
        self.env.cr.execute(
            "UPDATE email_receiver_log SET reason = %s WHERE id = %s", [old, log.id]
        )
        self._migrate("19.0.1.4.0")
        self.assertEqual((log.state, log.reason), ("held", "forged"))
        self.assertEqual(saved.domain, "[('reason', '=', 'forged')]")
        self.assertTrue(self.env.ref("account_email_receiver.mail_template_held_notice"))

    def test_migration_gives_each_log_its_stage(self):
        # 19.0.1.5.0: the state 'entered' and the flags followed_up and
        # follow_up_ready become one stage. The old columns, as an upgraded
        # database still has them, are added in this test's transaction.
        self.process(self.mail("S-1"), follow_up=False)
        queued = self.last_log()
        self.process(self.mail("S-2"))
        done = self.last_log()
        self.process(
            self.mail(attachments=(), sender="someone@stranger.example", subject="held before")
        )
        held = self.last_log()
        self.process(self.mail("S-3"))
        entered = self.last_log()
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE email_receiver_log ADD COLUMN followed_up boolean, "
            "ADD COLUMN follow_up_ready boolean"
        )
        for log, state, followed_up, ready in (
            (queued, "accepted", False, True),
            (done, "accepted", True, True),
            (held, "held", True, False),
            (entered, "entered", True, False),
        ):
            cr.execute(
                "UPDATE email_receiver_log SET state = %s, followed_up = %s, "
                "follow_up_ready = %s, stage = 'done' WHERE id = %s",
                [state, followed_up, ready, log.id],
            )
        self._migrate("19.0.1.5.0")
        self.assertEqual(
            [(log.stage, log.state) for log in (queued, done, held, entered)],
            [("queued", "accepted"), ("done", "accepted"), ("held", "held"), ("entered", False)],
        )
        # The follow-up job takes the queued mail: its report goes out.
        self.follow_up()
        self.assertEqual(queued.stage, "done")

    def test_migration_moves_old_state_logs_to_held(self):
        # 19.0.1.1.0: the state a held mail was stored with (shown "Held")
        # becomes 'held', in the logs and in saved filters.
        old = "rejected"  # glossary: the old stored value
        self.process(
            self.mail(attachments=(), sender="someone@stranger.example", subject="held before")
        )
        log = self.last_log()
        saved = self.env["ir.filters"].create(
            {
                "name": "Held mail",
                "model_id": "email.receiver.log",
                "domain": f"[('state', '=', '{old}')]",
            }
        )
        self.env.cr.execute("UPDATE email_receiver_log SET state = %s WHERE id = %s", [old, log.id])
        self._migrate("19.0.1.1.0")
        self.assertEqual((log.state, log.reason), ("held", "not_whitelisted"))
        self.assertEqual(saved.domain, "[('state', '=', 'held')]")
        self.assertIn(log, self.env["email.receiver.log"].search(literal_eval(saved.domain)))

    @mute_logger(
        "odoo.addons.account_email_receiver.models.email_receiver",
        "odoo.addons.mail.models.mail_thread",
    )
    def test_a_mail_whose_holding_fails_still_gets_its_log(self):
        # The last resort: the checks themselves fail, in routing and again
        # while holding the mail; it still ends in one log, with the mail.
        raw = self.mail(authenticated=True)
        Receiver = type(self.env["email.receiver"])
        with patch.object(Receiver, "_gateway_decide", side_effect=RuntimeError("checks broke")):
            self.process(raw)
        log = self.last_log()
        self.assertEqual(len(self.logs()), 1, "one mail in, one log record out")
        self.assertEqual((log.state, log.reason), ("held", "error"))
        self.assertIn("checks broke", log.explanation)
        self.assertEqual(log.raw_attachment_id.raw, raw)
        self.assertFalse(log.move_ids)
        self.assertFalse(self.env["account.move"].search([("ref", "=", "Snippet1")]))

    def test_a_mail_held_at_two_receivers_keeps_its_bytes_once(self):
        # One stranger's mail to two receivers: two logs (one per receiver's
        # rules), one stored copy of the mail (the filestore keeps content once).
        other = (
            self.env["email.receiver"]
            .with_user(self.accountant)
            .create(
                {
                    "name": "Other bills",
                    "partner_id": self.supplier.id,
                    "alias_name": "other-bills",
                    "contact_email": "accounts@supplier.example",
                    "rule_ids": [
                        Command.create({"rule_type": "domain", "value": "supplier.example"})
                    ],
                }
            )
        )
        other.with_user(self.accountant).action_activate()
        other_address = other.alias_id.alias_full_name
        raw = self.mail(
            to=f"{self.receiver.alias_id.alias_full_name}, {other_address}",
            sender="someone@stranger.example",
        )
        with self.count_parses() as counted:
            self.process(raw)
        logs = self.logs() | self.logs(other)
        self.assertEqual(len(logs), 2)
        self.assertEqual(set(logs.mapped("state")), {"held"})
        self.assertEqual(set(logs.mapped("reason")), {"not_whitelisted"})
        stored = logs.raw_attachment_id.sudo()
        self.assertEqual(len(stored), 2)
        self.assertEqual(len(set(stored.mapped("store_fname"))), 1, "one stored copy")
        self.assertEqual(stored[0].raw, raw)
        self.assertEqual(dict(counted), {"headers": 1, "lookups": 1, "odoo": 1})
