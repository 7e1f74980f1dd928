from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

from .common import EmailReceiverCommon, build_mail

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
        self.assertEqual(states["draft"], "Concept")
        self.assertEqual(states["active"], "Actief")
        self.assertEqual(
            Receiver._fields["tls_only"]._description_string(Receiver.env), "Alleen TLS"
        )
        action = self.env.ref("account_email_receiver.email_receiver_action").with_context(
            lang="nl_NL"
        )
        self.assertEqual(action.name, "Afzenders")
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
        self.process(
            build_mail(
                sender="someone@elsewhere.example",
                attachments=[("invoice.xml", self.ubl, "application/xml")],
            )
        )
        self.assertEqual(
            self.last_log().explanation,
            "someone@elsewhere.example is geen vertrouwde afzender van deze ontvanger.",
        )
        self.receiver.notify_members = True
        self.process(build_mail(attachments=[("invoice.xml", self.ubl, "application/xml")]))
        self.assertIn("Geaccepteerd van billing@supplier.example", self.last_log().explanation)
