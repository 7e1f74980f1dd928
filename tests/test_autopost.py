"""Trusted mail posts itself (#28): Odoo's own "Auto-post bills" for mail that
proves itself, and only then. Every bill says in its chatter why it was
posted, or what kept it a draft."""

from odoo import Command
from odoo.tests import tagged

from ..tools import autopost
from .common import EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestAutopost(EmailReceiverCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.supplier.autopost_bills = "always"
        cls.company.autopost_bills = True

    def note(self, bill):
        """The bill's chatter line about auto-posting."""
        bodies = bill.message_ids.mapped("body")
        return next((str(b) for b in bodies if "automatically" in str(b)), "")

    def assertDraftBecause(self, log, text):  # noqa: N802 - unittest style
        bill = log.move_ids
        self.assertEqual(len(bill), 1, log.explanation)
        self.assertEqual(bill.state, "draft")
        self.assertIn("Not posted automatically", self.note(bill))
        self.assertIn(text, self.note(bill))

    # --------------------------------------------------
    # Posted
    # --------------------------------------------------

    def test_proven_bill_posts_itself(self):
        log = self.receive(number="AP-1", subject="Invoice AP-1", authenticated=True)
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "pass"}])
        self.assertRecordValues(
            log.move_ids,
            [
                {
                    "state": "posted",
                    "ref": "AP-1",
                    "amount_total": 1656.25,
                    "partner_id": self.supplier.id,
                }
            ],
        )
        self.assertIn("Posted automatically: the mail was authenticated", self.note(log.move_ids))
        self.assertIn("Posted automatically", log.explanation)
        # The processing report says so too, in a supplier's words.
        result = log._report_lines()[0]["result"]
        self.assertEqual(
            result,
            f"AP-1, 1,656.25\xa0€: received and entered in our accounts under number "
            f"{log.move_ids.name}",
        )

    # --------------------------------------------------
    # Kept a draft, with the reason
    # --------------------------------------------------

    def test_unauthenticated_mail_stays_draft(self):
        log = self.receive(number="AP-2", subject="Invoice AP-2")
        self.assertDraftBecause(log, "the mail is not authenticated")
        # The processing report lists the document with what became of it, in
        # a supplier's words: the reasons name trust rules and stay with us.
        result = log._report_lines()[0]["result"]
        self.assertEqual(
            result,
            "AP-2, 1,656.25\xa0€: received; it needs review by our accounts team "
            "before it is entered",
        )
        self.assertNotIn("authenticated", result)

    def test_flagged_bill_stays_draft(self):
        other_bank = self.invoice("AP-3").replace(b"IBAN32423940", b"NL91ABNA0417164300")
        log = self.receive(xml=other_bank, subject="Invoice AP-3", authenticated=True)
        self.assertEqual(log.state, "review")
        self.assertDraftBecause(log, "the bill needs review")

    def test_possible_duplicate_stays_draft(self):
        self.assertEqual(
            self.receive(number="AP-4", subject="Invoice AP-4", authenticated=True).move_ids.state,
            "posted",
        )
        # The same number with another amount: a bill of its own, flagged by Odoo.
        other_amount = self.invoice("AP-4").replace(b">1656.25<", b">1700.00<")
        log = self.receive(xml=other_amount, subject="Invoice AP-4 again", authenticated=True)
        self.assertDraftBecause(log, "may be a duplicate")

    def test_released_by_hand_stays_draft(self):
        log = self.receive(
            number="AP-5",
            subject="Invoice AP-5",
            authenticated=True,
            sender="billing@stranger.example",
        )
        self.assertEqual(log.reason, "not_whitelisted")
        log.with_user(self.accountant).action_release()
        self.assertEqual(log.state, "released")
        self.assertDraftBecause(log, "the mail was released by hand")

    def test_everyone_rule_stays_draft(self):
        self.receiver.write(
            {
                "rule_ids": [Command.clear(), Command.create({"rule_type": "everyone"})],
                "everyone_confirmed": True,
            }
        )
        self.assertDraftBecause(
            self.receive(number="AP-6", subject="Invoice AP-6", authenticated=True),
            "only the whitelist entry 'everyone' trusts the sender",
        )

    def test_supplier_ask_or_never_stays_draft(self):
        for setting, text in (("ask", "set to ask"), ("never", "set to never")):
            with self.subTest(setting=setting):
                self.supplier.autopost_bills = setting
                self.assertDraftBecause(
                    self.receive(
                        number=f"AP-7-{setting}",
                        subject=f"Invoice AP-7-{setting}",
                        authenticated=True,
                    ),
                    text,
                )

    def test_hash_locked_journal_stays_draft(self):
        self.receiver.journal_id.restrict_mode_hash_table = True
        self.assertDraftBecause(
            self.receive(number="AP-8", subject="Invoice AP-8", authenticated=True),
            "locked with a hash",
        )

    # --------------------------------------------------
    # Odoo's "ask" flow
    # --------------------------------------------------

    def test_ask_offers_always_after_three_unedited_bills_from_mail(self):
        self.supplier.autopost_bills = "ask"
        offers = []
        for number in ("ASK-1", "ASK-2", "ASK-3"):
            bill = self.receive(
                number=number, subject=f"Invoice {number}", authenticated=True
            ).move_ids
            self.assertEqual(bill.state, "draft")
            offers.append(bill.with_user(self.bookkeeper).action_post())
        self.assertEqual(offers[:2], [False, False])
        self.assertEqual(offers[2]["res_model"], "account.autopost.bills.wizard")

    # --------------------------------------------------
    # The decision alone
    # --------------------------------------------------

    def test_the_decision_on_facts_alone(self):
        proven = autopost.Facts(
            authenticated=True,
            rule_types=frozenset({"domain"}),
            released=False,
            flagged=False,
            duplicate=False,
            einvoice=True,
            robot_sure=False,
            supplier_setting="always",
            company_setting=True,
            abnormal_amount=False,
            hash_locked=False,
        )
        self.assertEqual(autopost.blockers(proven), ())
        robot = {"fields": {"number": ["X", "high"], "date": ["D", "high"], "total": [1, "high"]}}
        self.assertTrue(autopost.robot_sure(robot))
        robot["fields"]["total"][1] = "medium"
        self.assertFalse(autopost.robot_sure(robot))
        cases = {
            "not_whitelisted": {"rule_types": frozenset()},
            "everyone": {"rule_types": frozenset({"everyone"})},
            "not_einvoice": {"einvoice": False, "robot_sure": False},
            "supplier_ask": {"supplier_setting": "ask"},
            "company_off": {"company_setting": False},
            "abnormal_amount": {"abnormal_amount": True},
            # its payee account: nobody trusted it (#35), whatever else holds
            "untrusted_bank": {"untrusted_bank": True},
        }
        for reason, change in cases.items():
            facts = autopost.Facts(**{**proven.__dict__, **change})
            self.assertEqual(autopost.blockers(facts), (reason,))
        # A PDF read with high confidence posts itself only on a layout a
        # person confirmed (#35): never the supplier's first one.
        read = {**proven.__dict__, "einvoice": False, "robot_sure": True}
        self.assertEqual(autopost.blockers(autopost.Facts(**{**read, "layout": "confirmed"})), ())
        for layout in ("unconfirmed", "differs"):
            self.assertEqual(
                autopost.blockers(autopost.Facts(**{**read, "layout": layout})),
                (f"layout_{layout}",),
            )
        confirmed = {"number": "Factuurnummer", "date": "Factuurdatum", "total": "Totaal"}
        reading = {
            "fields": {
                "number": ["X", "high", [["learned", "Factuurnummer"]]],
                "date": ["D", "high", [["learned", "Factuurdatum"]]],
                "total": [1, "high", [["learned", "Totaal"], ["adds_up", ""]]],
            }
        }
        self.assertEqual(autopost.layout(reading, confirmed), "confirmed")
        self.assertEqual(autopost.layout(reading, {**confirmed, "total": ""}), "unconfirmed")
        reading["fields"]["date"][2] = [["label", "Factuurdatum"]]
        self.assertEqual(autopost.layout(reading, confirmed), "differs")
