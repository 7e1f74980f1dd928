import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ALIAS_DOMAIN, EmailReceiverCommon


@tagged("post_install", "-at_install")
class TestReceiver(EmailReceiverCommon):
    def new_receiver(self, **vals):
        return (
            self.env["email.receiver"]
            .with_user(self.accountant)
            .create(
                {
                    "name": "Acme",
                    "partner_id": self.supplier.id,
                    "contact_email": "ap@acme.example",
                    **vals,
                }
            )
        )

    def test_alias_generated_unique_and_not_guessable(self):
        first, second = self.new_receiver(), self.new_receiver()
        for receiver in (first, second):
            self.assertRegex(receiver.alias_name, r"^supplierofficialname-ltd-[0-9a-f]{8}$")
            self.assertEqual(receiver.alias_full_name, f"{receiver.alias_name}@{ALIAS_DOMAIN}")
            self.assertEqual(receiver.alias_id.alias_model_id.model, "account.move")
            self.assertEqual(receiver.alias_id.alias_parent_thread_id, receiver.id)
        self.assertNotEqual(first.alias_name, second.alias_name)
        alias_before = first.alias_full_name
        first.name = "Renamed"
        self.assertEqual(first.alias_full_name, alias_before, "the address is stable")
        first.alias_name = "Acme Invoices"
        self.assertEqual(first.alias_full_name, f"acme-invoices@{ALIAS_DOMAIN}")

    def test_duplicate_alias_refused(self):
        with self.assertRaises(UserError):
            self.new_receiver(alias_name="supplier-bills")

    def test_alias_defaults_follow_the_receiver(self):
        receiver = self.new_receiver(document_type="sale_draft", partner_id=False)
        defaults = receiver._literal_alias_defaults(receiver.alias_id)
        self.assertEqual(defaults["move_type"], "out_invoice")
        self.assertEqual(receiver.journal_id.type, "sale")
        self.assertEqual(defaults["journal_id"], receiver.journal_id.id)

    def test_rules_validate_and_normalize(self):
        receiver = self.new_receiver()
        Rule = self.env["email.receiver.rule"].with_user(self.accountant)
        domain = Rule.create(
            {"receiver_id": receiver.id, "rule_type": "domain", "value": " Acme.EXAMPLE "}
        )
        self.assertEqual(domain.value, "acme.example")
        idn = Rule.create(
            {"receiver_id": receiver.id, "rule_type": "domain", "value": "bücher.example"}
        )
        self.assertEqual(idn.value, "xn--bcher-kva.example")
        email = Rule.create(
            {"receiver_id": receiver.id, "rule_type": "email", "value": "Bills@Acme.Example"}
        )
        self.assertEqual(email.value, "bills@acme.example")
        users = Rule.create(
            {"receiver_id": receiver.id, "rule_type": "verified_users", "value": "x"}
        )
        self.assertFalse(users.value)
        for value in ("@acme.com", "acme", "acme..com", "ac me.com", "co.uk", "-acme.com"):
            with self.assertRaises(ValidationError, msg=value):
                Rule.create({"receiver_id": receiver.id, "rule_type": "domain", "value": value})
        for value in ("acme.com", "a@b@acme.com", "bills@", "bills @acme.com"):
            with self.assertRaises(ValidationError, msg=value):
                Rule.create({"receiver_id": receiver.id, "rule_type": "email", "value": value})

    @mute_logger("odoo.sql_db")
    def test_duplicate_rule_refused_by_the_database(self):
        receiver = self.new_receiver()
        Rule = self.env["email.receiver.rule"]
        Rule.create({"receiver_id": receiver.id, "rule_type": "domain", "value": "acme.example"})
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            Rule.create(
                {"receiver_id": receiver.id, "rule_type": "domain", "value": "ACME.example"}
            )
        Rule.create({"receiver_id": receiver.id, "rule_type": "everyone"})
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            Rule.create({"receiver_id": receiver.id, "rule_type": "everyone"})

    def test_contact_email_validated(self):
        for value in (
            "not an address",
            "a@supplier.example, b@elsewhere.example",
            '"b@elsewhere.example,"@supplier.example',
        ):
            with self.subTest(value), self.assertRaises(ValidationError):
                self.new_receiver(contact_email=value)
        receiver = self.new_receiver(contact_email=" Accounts@Supplier.example ")
        self.assertEqual(receiver.contact_email, "Accounts@Supplier.example")

    def test_journal_of_other_company_or_type_refused(self):
        with self.assertRaises(ValidationError):
            self.new_receiver(journal_id=self.company_data["default_journal_sale"].id)
        other_company = self.setup_other_company()["company"]
        other_journal = self.env["account.journal"].search(
            [("company_id", "=", other_company.id), ("type", "=", "purchase")], limit=1
        )
        with self.assertRaises(UserError):
            self.new_receiver(journal_id=other_journal.id)

    def test_state_machine(self):
        receiver = self.new_receiver().with_context(tracking_disable=False, mail_notrack=False)

        def step(action, expected):
            getattr(receiver, action)()
            self.assertEqual(receiver.state, expected)
            self.env.flush_all()
            self.env.cr.precommit.run()  # tracking is written at commit time

        self.assertEqual(receiver.state, "draft")
        with self.assertRaises(UserError):
            receiver.action_activate()
        receiver.rule_ids = [
            fields.Command.create({"rule_type": "domain", "value": "acme.example"})
        ]
        step("action_invite", "invited")
        step("action_activate", "active")
        step("action_deactivate", "inactive")
        step("action_activate", "active")
        step("action_reset_to_draft", "draft")
        tracked = receiver.sudo().message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertEqual(len(tracked), 5)

    def test_everyone_needs_confirmation(self):
        receiver = self.new_receiver(rule_ids=[fields.Command.create({"rule_type": "everyone"})])
        self.assertTrue(receiver.has_everyone_rule)
        with self.assertRaises(UserError):
            receiver.action_activate()
        receiver.everyone_confirmed = True
        receiver.action_activate()
        self.assertEqual(receiver.state, "active")

    def test_invitation_mail(self):
        receiver = self.new_receiver(
            tls_only=True,
            rule_ids=[
                fields.Command.create({"rule_type": "domain", "value": "acme.example"}),
                fields.Command.create({"rule_type": "email", "value": "ceo@gmail.example"}),
            ],
        )
        receiver.action_invite()
        mail = self.outgoing("ap@acme.example")
        self.assertEqual(len(mail), 1)
        self.assertIn(receiver.alias_full_name, mail.subject)
        self.assertIn(receiver.alias_full_name, mail.body_html)
        self.assertIn("anyone at acme.example", mail.body_html)
        self.assertIn("ceo@gmail.example", mail.body_html)
        self.assertIn("encrypted connection (TLS)", mail.body_html)

    def test_notify_members_follow_with_subtype(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        receiver = self.new_receiver(notify_members=True)
        subtype = self.env.ref("account_email_receiver.mt_invoice_received")
        followers = receiver.message_follower_ids
        by_partner = {f.partner_id: f for f in followers}
        self.assertIn(self.bookkeeper.partner_id, by_partner)
        self.assertIn(subtype, by_partner[self.bookkeeper.partner_id].subtype_ids)
        self.assertNotIn(outsider.partner_id, by_partner, "no invoicing rights, not a member")
        # Each member can unfollow.
        receiver.with_user(self.bookkeeper).message_unsubscribe(
            partner_ids=self.bookkeeper.partner_id.ids
        )
        self.assertNotIn(self.bookkeeper.partner_id, receiver.message_follower_ids.partner_id)

    def test_bookkeeper_reads_but_cannot_edit(self):
        as_bookkeeper = self.receiver.with_user(self.bookkeeper)
        self.assertEqual(as_bookkeeper.name, "Supplier bills")
        with self.assertRaises(AccessError):
            as_bookkeeper.write({"tls_only": True})
        with self.assertRaises(AccessError):
            self.env["email.receiver"].with_user(self.bookkeeper).create(
                {"name": "x", "contact_email": "x@x.example"}
            )
        with self.assertRaises(AccessError):
            as_bookkeeper.action_activate()

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        stranger = self._new_user("stranger", "account.group_account_manager", company=other)
        Receiver = self.env["email.receiver"].with_user(stranger)
        self.assertFalse(Receiver.search([]))
        self.assertFalse(self.env["email.receiver.log"].with_user(stranger).search([]))
        with self.assertRaises(AccessError):
            self.receiver.with_user(stranger).read(["name"])
