from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

from .common import EmailReceiverCommon

I18N = Path(__file__).resolve().parent.parent / "i18n"


@tagged("post_install", "-at_install")
class TestDutch(TransactionCase):
    def test_every_string_is_translated(self):
        pot = polib.pofile(str(I18N / "account_email_receiver.pot"))
        nl = {entry.msgid: entry.msgstr for entry in polib.pofile(str(I18N / "nl.po"))}
        missing = [entry.msgid for entry in pot if not nl.get(entry.msgid)]
        self.assertFalse(missing, "untranslated in nl.po")

    def test_dutch_loads(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(
            ["account_email_receiver"], ["nl_NL"], overwrite=True
        )
        Receiver = self.env["email.receiver"].with_context(lang="nl_NL")
        states = dict(Receiver._fields["state"]._description_selection(Receiver.env))
        # The words of the manual "Vertrouwde e-mailafzender" (../shared/manual/).
        self.assertEqual(states["draft"], "Gemaakt concept")
        self.assertEqual(states["active"], "Actief")
        labels = {
            name: Receiver._fields[name]._description_string(Receiver.env)
            for name in ("tls_only", "notify_members", "auto_send_xml", "contact_email")
        }
        self.assertEqual(
            labels,
            {
                "tls_only": "Accepteer alleen veilige e-mailadressen verzonden via SSL of TLS",
                "notify_members": "Notificatie ontvangst via e-mail",
                "auto_send_xml": "XML-factuur automatisch versturen",
                "contact_email": "Contact e-mailadres",
            },
        )
        Rule = self.env["email.receiver.rule"].with_context(lang="nl_NL")
        self.assertEqual(Rule._fields["rule_type"]._description_string(Rule.env), "Whitelist type")
        rule_types = dict(Rule._fields["rule_type"]._description_selection(Rule.env))
        self.assertEqual(rule_types["domain"], "Domein")
        self.assertEqual(rule_types["email"], "E-mailadres")
        self.assertEqual(rule_types["verified_users"], "Geverifieerde gebruiker")
        menus = {
            xmlid: self.env.ref(f"account_email_receiver.{xmlid}").with_context(lang="nl_NL").name
            for xmlid in (
                "email_receiver_menu_root",
                "email_receiver_menu_senders",
                "email_receiver_menu_senders_all",
                "email_receiver_menu_senders_new",
            )
        }
        self.assertEqual(
            menus,
            {
                "email_receiver_menu_root": "Email Receiver",
                "email_receiver_menu_senders": "Vertrouwde afzenders",
                "email_receiver_menu_senders_all": "Alles",
                "email_receiver_menu_senders_new": "Nieuwe afzender",
            },
        )
        action = self.env.ref("account_email_receiver.email_receiver_action").with_context(
            lang="nl_NL"
        )
        self.assertEqual(action.name, "Vertrouwde afzenders")
        self.assertIn("Voeg uw eerste vertrouwde afzender toe", action.help)


@tagged("post_install", "-at_install")
class TestDutchCompany(EmailReceiverCommon):
    def test_gateway_writes_in_the_company_language(self):
        """The technical gateway user is English; a Dutch company reads Dutch."""
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(
            ["account_email_receiver"], ["nl_NL"], overwrite=True
        )
        self.company.partner_id.lang = "nl_NL"
        self.assertEqual(self.gateway_user.lang, "en_US")
        self.process(self.mail(sender="someone@elsewhere.example"))
        self.assertEqual(
            self.last_log().explanation,
            "someone@elsewhere.example staat niet op de whitelist van deze vertrouwde afzender.",
        )
        self.receiver.notify_members = True
        self.process(self.mail())
        self.assertIn("Geaccepteerd van billing@supplier.example", self.last_log().explanation)
