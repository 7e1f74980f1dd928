from odoo.tests import tagged

from .common import DATA, EmailReceiverCommon

CORPUS = sorted((DATA / "corpus").glob("*.eml"))


@tagged("post_install", "-at_install")
class TestCorpus(EmailReceiverCommon):
    """The whole mail corpus (dev/make_corpus.py) through the real gateway."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.authserv_ids", "mx.receiver.test"
        )
        cls.receiver.tls_only = True
        # The corpus mixes authenticated and unauthenticated mail for one
        # receiver: authentication was switched on once, and off again.
        cls.receiver.require_authentication_switched = True
        # The account Odoo's CII sample asks payment to: known for this supplier.
        cls.env["res.partner.bank"].create(
            {"acc_number": "FR15001559627230", "partner_id": cls.supplier.id}
        ).allow_out_payment = True
        # Odoo's CII sample charges 21% and 12% VAT.
        cls.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in (21, 12)
            ]
        )

    def test_every_message_leaves_exactly_one_log(self):
        self.assertGreaterEqual(len(CORPUS), 30)
        outcomes = {}
        for path in CORPUS:
            before = len(self.logs())
            self.process(path.read_bytes())  # never raises
            logs = self.logs()
            self.assertEqual(len(logs), before + 1, path.name)
            outcomes[path.stem] = logs[-1]
        self.assertEqual(len(self.logs()), len(CORPUS), "messages in == log records out")
        for name, log in outcomes.items():
            expected = name.split("__")[0]
            if expected in ("accepted", "review"):
                self.assertEqual((log.state, log.reason), (expected, False), name)
                self.assertTrue(log.move_ids, name)
            else:
                self.assertEqual((log.state, log.reason), ("held", expected), name)
                self.assertFalse(log.move_ids, name)
                self.assertTrue(log.raw_attachment_id, name)
        self.assertEqual(outcomes["accepted__ubl"].move_ids.amount_total, 1656.25)
        self.assertEqual(len(outcomes["accepted__xml_and_its_pdf"].move_ids), 1)
        cii = outcomes["accepted__cii"].move_ids
        self.assertRecordValues(
            cii,
            [
                {
                    "partner_id": self.supplier.id,
                    "amount_total": 3164.22,
                    "journal_id": self.receiver.journal_id.id,
                }
            ],
        )
        self.assertEqual(cii.currency_id.name, "USD")
        facturx = outcomes["accepted__facturx"].move_ids
        self.assertEqual(facturx.partner_id, self.supplier)
        self.assertEqual(facturx.invoice_line_ids.mapped("name")[:1], ["product_a"])
        self.assertFalse(outcomes["not_whitelisted__auto_replied"].notice_sent)
        # Nothing was ever answered to a sender.
        senders = (
            "supplier.example.evil.test",
            "evilsupplier.example",
            "evil.test",
            "elsewhere.example",
        )
        for sender in senders:
            self.assertFalse(self.outgoing(sender), sender)

    def test_redelivering_the_corpus_changes_nothing(self):
        for path in CORPUS[:5]:
            self.process(path.read_bytes())
        logs = self.logs()
        for path in CORPUS[:5]:
            self.process(path.read_bytes())
        self.assertEqual(self.logs(), logs)

    def test_thirty_megabyte_message(self):
        raw = self.mail(
            attachments=[("huge.pdf", b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024), "application/pdf")]
        )
        self.assertGreater(len(raw), 30 * 1024 * 1024)
        self.process(raw)
        log = self.last_log()
        self.assertEqual((log.state, log.reason), ("held", "too_large"))
        self.assertIn("25 MB", log.explanation)
        self.assertTrue(raw.startswith(log.raw_attachment_id.raw), "its headers, kept")
        self.assertLess(len(log.raw_attachment_id.raw), 5000, "not 30 MB once more")
