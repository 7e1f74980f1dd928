from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

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
        self.assertEqual(states["draft"], "Gemaakt concept")
        self.assertEqual(states["active"], "Actief")
        self.assertEqual(
            Receiver._fields["tls_only"]._description_string(Receiver.env), "Alleen TLS"
        )
        action = self.env.ref("account_email_receiver.email_receiver_action").with_context(
            lang="nl_NL"
        )
        self.assertEqual(action.name, "Afzenders")
        self.assertIn("Voeg uw eerste vertrouwde afzender toe", action.help)
