import re

from odoo.tests import HttpCase, tagged

from .common import EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestUi(EmailReceiverCommon, HttpCase):
    """Flows in a real Chromium, as restricted users."""

    def test_onboarding_tour(self):
        self.env["email.receiver"].search([]).unlink()
        self.env["res.partner"].create({"name": "Acme Tour Supplier", "is_company": True})
        self.start_tour("/odoo", "email_receiver_onboarding", login="accountant")
        receiver = self.env["email.receiver"].search([("name", "=", "Acme bills")])
        self.assertRecordValues(
            receiver,
            [
                {
                    "state": "active",
                    "contact_email": "ap@acme-tour.example",
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertEqual(receiver.rule_ids.mapped("value"), ["acme-tour.example"])
        self.assertTrue(self.outgoing("ap@acme-tour.example"), "the invitation was sent")

    def test_onboarding_tour_in_dutch(self):
        """A Dutch bookkeeper's onboarding: every screen of it in Dutch."""
        self.env["res.lang"]._activate_lang("nl_NL")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        self.env["ir.module.module"]._load_module_terms(installed.mapped("name"), ["nl_NL"])
        self.accountant.lang = "nl_NL"
        self.env["email.receiver"].search([]).unlink()
        # A Dutch supplier: the invitation goes out in Dutch as well.
        self.env["res.partner"].create(
            {"name": "Acme Tour Supplier", "is_company": True, "lang": "nl_NL"}
        )
        self.start_tour("/odoo", "email_receiver_onboarding_nl", login="accountant")
        receiver = self.env["email.receiver"].search([("name", "=", "Acme facturen")])
        self.assertEqual(receiver.state, "active")
        invitation = self.outgoing("ap@acme-tour.example")
        self.assertEqual(len(invitation), 1)
        self.assertIn("stuur uw facturen voortaan naar", invitation.subject)
        self.assertIn("Wie mag sturen", invitation.body_html)

    def test_manual_tour_in_dutch(self):
        """The Dutch manual "Vertrouwde e-mailafzender", word for word: the tour
        finds every element by the manual's words; the new sender then turns a
        supplier's mail into a bill."""
        self.env["res.lang"]._activate_lang("nl_NL")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        self.env["ir.module.module"]._load_module_terms(installed.mapped("name"), ["nl_NL"])
        self.accountant.lang = "nl_NL"
        self.receiver.alias_name = "bestaande-leverancier"
        supplier = self.env["res.partner"].create(
            {"name": "Handleiding Leverancier", "is_company": True, "lang": "nl_NL"}
        )
        self.start_tour("/odoo", "email_receiver_manual_nl", login="accountant")
        receiver = self.env["email.receiver"].search([("name", "=", "Handleiding leverancier")])
        self.assertRecordValues(
            receiver,
            [
                {
                    "state": "active",
                    "partner_id": supplier.id,
                    "document_type": "purchase",
                    "notify_members": True,
                    "tls_only": True,
                    "contact_email": "facturen@handleiding.example",
                    "send_processing_report": True,
                }
            ],
        )
        self.assertRecordValues(
            receiver.rule_ids, [{"rule_type": "domain", "value": "handleiding.example"}]
        )
        self.process(self.mail(to=receiver.alias_full_name, sender="facturen@handleiding.example"))
        bill = self.last_log(receiver).move_ids
        self.assertRecordValues(
            bill,
            [
                {
                    "move_type": "in_invoice",
                    "partner_id": supplier.id,
                    "amount_total": 1656.25,
                    "ref": "Snippet1",
                }
            ],
        )

    def test_release_tour(self):
        """The held-mail review as a fraud desk (static/tests/tours/email_receiver_release.js):
        a lookalike sender's whole address, its foreign part marked; advice on a
        mail about bank details; Release asks first, then makes the bill."""
        self.process(
            self.mail(sender="billing@supplier.example.evil.test", subject="Our new bank details")
        )
        log = self.last_log()
        self.assertEqual(log.reason, "not_whitelisted")
        self.start_tour("/odoo", "email_receiver_release", login="bookkeeper")
        self.assertEqual(log.state, "released")
        self.assertEqual(log.move_ids.amount_total, 1656.25)
        self.assertEqual(log.released_by_id, self.bookkeeper)

    def test_dashboard_tour(self):
        for subject, sender in (
            ("Held one", "someone@elsewhere.example"),
            ("Held two", "other@elsewhere.example"),
            ("Accepted one", "billing@supplier.example"),
        ):
            self.process(self.mail(sender=sender, subject=subject))
        self.assertEqual(sorted(self.logs().mapped("state")), ["accepted", "held", "held"])
        self.start_tour("/odoo", "email_receiver_dashboard", login="bookkeeper")

    def test_dashboard_state(self):
        Log = self.env["email.receiver.log"].with_user(self.bookkeeper)
        state = Log.get_dashboard_state()
        self.assertEqual((state["receiver_count"], state["alias_domain"]), (1, True))
        self.assertEqual(
            [chart["key"] for chart in state["charts"]], ["outcome", "document_type", "reason"]
        )
        self.bookkeeper.group_ids += self.env.ref("base.group_multi_company")
        self.company.alias_domain_id = False
        state = Log.get_dashboard_state()
        self.assertFalse(state["alias_domain"], "the first run says how to set the alias domain")
        self.assertIn("company", [chart["key"] for chart in state["charts"]])


@tagged("post_install", "-at_install")
class TestUserAddress(EmailReceiverCommon, HttpCase):
    def test_extra_address_verified_by_link(self):
        user = self._new_user("clerk", "account.group_account_invoice", email="clerk@company.test")
        address = (
            self.env["email.receiver.user.address"]
            .with_user(user)
            .create({"email": "Clerk@Home.Example"})
        )
        self.assertEqual(address.email, "clerk@home.example")
        self.assertFalse(address.verified)
        mail = self.outgoing("clerk@home.example")
        self.assertEqual(len(mail), 1)
        url = address.sudo()._confirmation_url()
        self.assertIn(url, mail.body_html)
        self.receiver.rule_ids = [(5, 0, 0), (0, 0, {"rule_type": "verified_users"})]
        self.assertFalse(self.receiver._gateway_is_trusted("clerk@home.example"))
        # A wrong token is refused and changes nothing.
        response = self.url_open(url[:-4] + "xxxx")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(address.verified)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        address.invalidate_recordset()
        self.assertFalse(address.verified, "opening the link (a scanner can) confirms nothing")
        csrf = re.search(r"name='csrf_token' value='([^']+)'", response.text).group(1)
        response = self.url_open(url, data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertIn("confirmed", response.text)
        address.invalidate_recordset()
        self.assertTrue(address.verified)
        self.assertTrue(self.receiver._gateway_is_trusted("clerk@home.example"))
        self.assertFalse(
            self.receiver._gateway_is_trusted("clerk@company.test"),
            "a profile email, which its user may change to anything, proves nothing",
        )
        user.login = "clerk@company.test"
        self.assertTrue(self.receiver._gateway_is_trusted("clerk@company.test"), "the login does")
        self.assertFalse(self.receiver._gateway_is_trusted("someone@home.example"))
