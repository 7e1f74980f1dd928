"""What a bookkeeper sees on a bill the addon made (#39): the conversion
robot's tab as the reader's language and the bill's currency write it, each
value beside its confidence; the payee account in words under the status bar,
with Pay no longer the main button while nobody trusted it; and chatter lines
in the company's language, with the evidence in words."""

from pathlib import Path

from lxml import etree, html

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import format_date, html2plaintext

from ..models.email_receiver_follow_up import auth_passes
from .common import EmailReceiverCommon

PDF = Path(__file__).parent / "data" / "pdf"
BUYER_VAT = "NL850002321B01"  # whom the PDF corpus invoices are addressed to
PDF_VAT = "NL800003123B01"  # the corpus supplier's VAT number, on its letterhead
NEW_IBAN = "NL91ABNA0417164300"
KNOWN_IBAN = "IBAN32423940"  # the account the Peppol sample asks payment to
CONFIDENCE_NL = {"high": "zeker", "medium": "waarschijnlijk", "low": "onzeker"}


def load_dutch(env):
    env["res.lang"]._activate_lang("nl_NL")
    env["ir.module.module"]._load_module_terms(
        ["account_email_receiver"], ["nl_NL"], overwrite=True
    )


def table_rows(value):
    """The robot's table, as its reader sees it: label -> the other cells' text."""
    rows = html.fromstring(str(value)).xpath("//table//tr[td]")
    return {
        row[0].text_content(): [cell.text_content().strip() for cell in row[1:]] for row in rows
    }


def autopost_line(bill):
    """The bill's chatter line about auto-posting, as plain text."""
    bodies = [html2plaintext(str(body)) for body in bill.message_ids.mapped("body")]
    return next((body for body in bodies if "automatisch" in body.lower()), "")


@tagged("post_install", "-at_install")
class TestBillScreensRobot(EmailReceiverCommon):
    """The conversion robot's tab on a bill read from a Dutch supplier's PDF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        # The corpus invoices are addressed to "YourCompany" (the demo's company name).
        cls.env.ref("base.main_company").name = "Demo main company"
        cls.env.flush_all()  # before the name is free (names of companies are unique)
        cls.company.write({"name": "YourCompany", "vat": BUYER_VAT})
        cls.supplier.write({"vat": PDF_VAT, "bank_ids": [Command.create({"acc_number": NEW_IBAN})]})
        cls.supplier.bank_ids.allow_out_payment = True  # checked and trusted by a person
        cls.env["account.tax"].create(
            [
                {"name": f"VAT {rate}% (purchase)", "amount": rate, "type_tax_use": "purchase"}
                for rate in (21, 9)
            ]
        )
        load_dutch(cls.env)
        cls.bookkeeper.lang = "nl_NL"

    def bill_from_pdf(self):
        log = self.receive(
            attachments=[
                (
                    "reportlab-nl-rates.pdf",
                    (PDF / "reportlab-nl-rates.pdf").read_bytes(),
                    "application/pdf",
                )
            ],
            subject="Factuur 2026-0502",
            authenticated=True,
        )
        self.assertEqual(log.state, "accepted", log.explanation)
        return log.move_ids.with_user(self.bookkeeper).with_context(lang="nl_NL")

    @freeze_time("2026-04-10 09:00:00")
    def test_the_robot_tab_writes_dutch_dates_and_amounts_beside_their_confidence(self):
        bill = self.bill_from_pdf()
        read = bill.email_receiver_pdf["fields"]
        rows = table_rows(bill.email_receiver_pdf_html)
        # Each value as the rest of the Dutch screen writes it, beside its confidence.
        expected = {
            "Factuurdatum": ("02-04-2026", "date"),
            "Vervaldatum": ("02-05-2026", "due_date"),
            "Totaal incl. btw": ("680,75\N{NO-BREAK SPACE}€", "total"),
            "Totaal excl. btw": ("575,00\N{NO-BREAK SPACE}€", "untaxed"),
            "IBAN": ("NL91 ABNA 0417 1643 00", "iban"),
            "Factuurnummer": ("2026-0502", "number"),
        }
        for label, (shown, name) in expected.items():
            with self.subTest(label=label):
                self.assertEqual(rows[label][:2], [shown, CONFIDENCE_NL[read[name][1]]])
                self.assertTrue(rows[label][2], "how it was found, in words")
        table = str(bill.email_receiver_pdf_html)
        for raw in ("2026-04-02", "680.75", "575.0"):
            self.assertNotIn(raw, table)
        # Thousands as a Dutch reader writes them.
        self.assertEqual(
            bill._email_receiver_pdf_shown("total", 1656.25), "1.656,25\N{NO-BREAK SPACE}€"
        )
        # The tab is on the form a bookkeeper opens.
        arch = etree.fromstring(bill.get_views([(False, "form")])["views"]["form"]["arch"])
        page = arch.xpath("//page[@name='email_receiver_pdf']")
        self.assertEqual(
            page[0].xpath(".//field/@name"), ["email_receiver_pdf", "email_receiver_pdf_html"]
        )
        self.assertNotIn("o_email_receiver_pdf_seller", table, "the letterhead is the vendor's")

    def test_a_letterhead_of_another_company_gets_one_sentence(self):
        bill = self.bill_from_pdf()
        other = self.env["res.partner"].create(
            {"name": "Andere Leverancier BV", "is_company": True}
        )
        bill.partner_id = other
        sentence = html.fromstring(str(bill.email_receiver_pdf_html)).xpath(
            "//p[contains(@class, 'o_email_receiver_pdf_seller')]"
        )
        self.assertEqual(len(sentence), 1)
        self.assertEqual(
            sentence[0].text_content(),
            f"Het briefhoofd noemt SupplierOfficialName Ltd (btw-nummer {PDF_VAT}), niet de "
            "leverancier Andere Leverancier BV: controleer wie deze factuur stuurde voordat u "
            "haar boekt of betaalt.",
        )


class BankScreensCommon(EmailReceiverCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_dutch(cls.env)
        cls.bookkeeper.lang = "nl_NL"
        # Odoo's own right to trust an account (Accounting > Validate bank accounts).
        cls.treasurer = cls._new_user(
            "treasurer",
            "account.group_account_invoice,account.group_validate_bank_account",
            name="Tom Treasurer",
            email="tom@company.test",
        )

    def pay_to(self, number, iban):
        """The Peppol sample, another invoice, asking payment to ``iban``."""
        return self.invoice(number).replace(KNOWN_IBAN.encode(), iban.encode())


@tagged("post_install", "-at_install")
class TestBillScreensBank(BankScreensCommon):
    def form(self, user):
        views = self.env["account.move"].with_user(user).get_views([(False, "form")])
        return etree.fromstring(views["views"]["form"]["arch"])

    def test_an_untrusted_account_is_said_in_words_under_the_status_bar(self):
        bill = self.receive(xml=self.pay_to("BS-1", NEW_IBAN), authenticated=True).move_ids
        bank = bill.partner_bank_id.sudo()
        self.assertRecordValues(bank, [{"acc_number": NEW_IBAN, "allow_out_payment": False}])
        seen = bill.with_user(self.bookkeeper).with_context(lang="nl_NL")
        self.assertTrue(seen.email_receiver_bank_untrusted)
        self.assertEqual(
            seen.email_receiver_bank_note,
            f"{NEW_IBAN} van SupplierOfficialName Ltd is niet vertrouwd voor betalingen. "
            f"De rekening kwam binnen met de mail van deze factuur, op "
            f"{format_date(seen.env, bank.create_date)}; niemand heeft haar sindsdien "
            "vertrouwd. Bel SupplierOfficialName Ltd op een nummer dat u kent (nooit een "
            "nummer uit deze mail) voordat u betaalt; alleen een gebruiker die bankrekeningen "
            "mag valideren kan haar vertrouwen.",
        )
        # An account an earlier mail recorded: since when it is known.
        self.env.cr.execute(
            "UPDATE res_partner_bank SET create_date = '2026-03-02 09:00:00' WHERE id = %s",
            [bank.id],
        )
        self.env.invalidate_all()
        self.assertIn(
            "De rekening is bekend sinds 02-03-2026 (vastgelegd door OdooBot)",
            seen.email_receiver_bank_note,
        )
        self.assertIn(
            "gebruik dan Deze rekening vertrouwen",
            bill.with_user(self.treasurer).with_context(lang="nl_NL").email_receiver_bank_note,
        )

        # The form: the banner first under the status bar, Pay no main button.
        arch = self.form(self.bookkeeper)
        header = arch.xpath("//header")[0]
        first = next(node for node in header.itersiblings() if node.tag == "div")
        self.assertIn("o_email_receiver_bank", first.get("class"))
        self.assertEqual(first.get("invisible"), "not email_receiver_bank_untrusted")
        self.assertEqual(first.xpath(".//field/@name"), ["email_receiver_bank_note"])
        self.assertFalse(first.xpath(".//button"), "a bookkeeper may not trust an account")
        main_pay = arch.xpath("//button[@id='account_invoice_payment_btn']")[0]
        self.assertIn("oe_highlight", main_pay.get("class"))
        self.assertIn("email_receiver_bank_untrusted", main_pay.get("invisible"))
        pay = arch.xpath("//button[@id='email_receiver_payment_untrusted_btn']")[0]
        self.assertEqual(pay.get("string"), "Pay")
        self.assertNotIn("oe_highlight", pay.get("class") or "")
        self.assertTrue(pay.get("invisible").startswith("not email_receiver_bank_untrusted or "))
        trust = self.form(self.treasurer).xpath(
            "//button[@name='action_email_receiver_trust_bank']"
        )
        self.assertEqual([button.get("string") for button in trust], ["Trust this account"])

    def test_trust_this_account_is_odoos_own_right(self):
        # A Dutch company: the note it stores is Dutch, whoever clicks.
        self.company.partner_id.lang = "nl_NL"
        bill = self.receive(xml=self.pay_to("BS-2", NEW_IBAN), authenticated=True).move_ids
        bank = bill.partner_bank_id.sudo()
        with self.assertRaises(AccessError):
            bill.with_user(self.bookkeeper).action_email_receiver_trust_bank()
        self.assertFalse(bank.allow_out_payment)
        bill.with_user(self.treasurer).action_email_receiver_trust_bank()
        self.assertTrue(bank.allow_out_payment)
        self.assertFalse(bill.email_receiver_bank_untrusted)
        self.assertFalse(bill.with_user(self.bookkeeper).email_receiver_bank_note)
        self.assertEqual(
            html2plaintext(str(bill.message_ids[:1].body)),
            f"Bankrekening {NEW_IBAN} van SupplierOfficialName Ltd is door Tom Treasurer "
            "vertrouwd voor betalingen.",
        )

    def test_the_autopost_line_is_dutch_and_names_the_account(self):
        self.company.partner_id.lang = "nl_NL"
        self.supplier.autopost_bills = "always"
        self.company.autopost_bills = True
        bill = self.receive(number="BS-3", subject="Invoice BS-3", authenticated=True).move_ids
        self.assertEqual(bill.state, "posted")
        self.assertEqual(
            autopost_line(bill),
            "Automatisch geboekt: de mail is geauthenticeerd (verzonden vanaf een server die "
            "supplier.example toestaat (SPF)), billing@supplier.example staat op de whitelist, "
            "de factuur is gelijk aan de e-factuur, en bij SupplierOfficialName Ltd staat "
            "'Facturen automatisch boeken' op altijd. De bankrekening IBAN32423940 is "
            "vertrouwd voor betalingen.",
        )
        chatter = " ".join(html2plaintext(str(b)) for b in bill.message_ids.mapped("body"))
        self.assertIn("Per e-mail ontvangen", chatter)
        for english in ("=pass", "Posted", "Received by email", "the mail", "bank account"):
            self.assertNotIn(english, chatter)
        # An account nobody trusted: the line says so, in Dutch too.
        kept = self.receive(xml=self.pay_to("BS-4", NEW_IBAN), authenticated=True).move_ids
        self.assertEqual(kept.state, "draft")
        self.assertIn(
            f"De bankrekening {NEW_IBAN} is niet vertrouwd voor betalingen: controleer haar "
            "bij de leverancier voordat u betaalt.",
            autopost_line(kept),
        )
        kept.partner_bank_id = False
        self.assertEqual(
            kept.email_receiver_log_id.with_context(lang="nl_NL")._autopost_bank_text(kept),
            "De factuur noemt geen bankrekening om op te betalen.",
        )

    def test_the_evidence_in_words(self):
        self.assertEqual(
            auth_passes(
                "dkim=pass (supplier.example, s=mail), spf=none (stranger.example), "
                "dmarc=pass (supplier.example, p=reject)"
            ),
            [("dkim", "supplier.example"), ("dmarc", "supplier.example")],
        )
        # A trusted mail server's results name no domain: the sender's is meant.
        self.assertEqual(auth_passes("dkim=pass, dmarc=pass"), [("dkim", ""), ("dmarc", "")])
        log = self.env["email.receiver.log"].new(
            {"sender": "billing@supplier.example", "auth_details": "dkim=pass, dmarc=pass"}
        )
        self.assertEqual(
            log._auth_in_words(),
            "signed by supplier.example (DKIM) and in line with the published policy of "
            "supplier.example (DMARC)",
        )
        self.assertEqual(
            log.with_context(lang="nl_NL")._auth_in_words(),
            "ondertekend door supplier.example (DKIM) en in lijn met het gepubliceerde beleid "
            "van supplier.example (DMARC)",
        )


@tagged("post_install", "-at_install")
class TestBillScreensUi(BankScreensCommon, HttpCase):
    """In a real Chromium, as the bookkeeper sees the bill."""

    def test_the_banner_stands_under_the_status_bar_and_pay_is_no_main_button(self):
        bill = self.receive(number="BS-UI", subject="Invoice BS-UI").move_ids
        bill.with_user(self.accountant).action_post()
        # Later, a person takes the trust back: the posted bill now pays to an
        # account nobody trusts.
        self.supplier.bank_ids.sudo().allow_out_payment = False
        self.assertTrue(bill.email_receiver_bank_untrusted)
        code = """
        (async () => {
            const until = async (selector) => {
                for (let i = 0; i < 300; i++) {
                    const found = document.querySelector(selector);
                    if (found) {
                        return found;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error(`not on the screen: ${selector}`);
            };
            const banner = await until(".o_form_view .o_email_receiver_bank");
            const bar = await until(".o_form_view .o_form_statusbar");
            const pay = await until(
                ".o_form_view .o_statusbar_buttons button[name='action_register_payment']"
            );
            const pays = [...document.querySelectorAll(
                ".o_form_view .o_statusbar_buttons button[name='action_register_payment']"
            )];
            if (pays.length !== 1 || pay.classList.contains("btn-primary")) {
                throw new Error("Pay is still the main button");
            }
            if (!(bar.compareDocumentPosition(banner) & Node.DOCUMENT_POSITION_FOLLOWING)) {
                throw new Error("the banner is not under the status bar");
            }
            const gap = banner.getBoundingClientRect().top - bar.getBoundingClientRect().bottom;
            if (gap < 0 || gap > 24) {
                throw new Error(`the banner stands ${gap}px under the status bar`);
            }
            for (const words of ["IBAN32423940", "SupplierOfficialName Ltd", "niet vertrouwd"]) {
                if (!banner.textContent.includes(words)) {
                    throw new Error(`the banner does not say ${words}: ${banner.textContent}`);
                }
            }
            if (banner.querySelector("button")) {
                throw new Error("a bookkeeper may not trust the account");
            }
            console.log("test successful");
        })().catch((error) => console.error(error.message));
        """
        self.browser_js(
            f"/odoo/action-account.action_move_in_invoice_type/{bill.id}",
            code,
            login="bookkeeper",
        )
