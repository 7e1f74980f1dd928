import contextlib
from datetime import timedelta
from unittest.mock import patch

import dns.resolver
import psycopg2
from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import EmailReceiverCommon
from .servers import CapturingSMTP, LoopbackDNS, SilentDNS, zone

PARAM = "account_email_receiver.%s"
CASES = ("good", "wrong", "missing", "proxied", "chain", "doubled", "upper", "txt")


class SendingDomainCommon(EmailReceiverCommon):
    """Verification against a real DNS server on loopback (dnslib), over UDP
    and TCP; the resolver is dnspython's, pointed at it through Settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        set_param(PARAM % "provider_host", "sendgrid.net")
        set_param(PARAM % "provider_account", "4242")
        set_param(PARAM % "dns_lifetime", "1.0")
        Domain = cls.env["email.sending.domain"]
        records = []
        for case in CASES:
            expected = Domain.new({"name": f"{case}.test"})._expected_records()
            for _purpose, host, target in expected:
                if case == "good":
                    records.append((host + ".", "CNAME", target + "."))
                elif case == "wrong":
                    records.append((host + ".", "CNAME", "u1.wl1.otherprovider.example."))
                elif case == "proxied":
                    records.append((host + ".", "A", "192.0.2.1"))
                elif case == "chain":
                    records.append((host + ".", "CNAME", f"hop.{host}.example.net."))
                    records.append((f"hop.{host}.example.net.", "CNAME", target + "."))
                elif case == "doubled":
                    records.append((f"{host}.doubled.test.", "CNAME", target + "."))
                elif case == "upper":
                    records.append((host.upper() + ".", "CNAME", target.upper() + "."))
                elif case == "txt":
                    records.append((host + ".", "TXT", '"v=spf1 -all"'))
        records.append(("good.test.", "TXT", '"v=spf1 include:sendgrid.net -all"'))
        records.append(("_dmarc.good.test.", "TXT", '"v=DMARC1; p=quarantine"'))
        cls.dns = LoopbackDNS(zone(records)).start()
        cls.silent = SilentDNS().start()
        cls.addClassCleanup(cls.dns.stop)
        cls.addClassCleanup(cls.silent.stop)
        set_param(PARAM % "dns_nameservers", cls.dns.address)

    @contextlib.contextmanager
    def sending_provider(self):
        """The sending provider's SMTP server, real, on loopback (Odoo never
        sends mail in tests; this goes to loopback only)."""
        with (
            CapturingSMTP() as smtp,
            patch.object(type(self.env["ir.mail_server"]), "_disable_send", lambda _self: False),
        ):
            self.env["ir.mail_server"].create(
                {
                    "name": "Sending provider",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": smtp.port,
                    "smtp_encryption": "none",
                    "from_filter": "receiver.test",
                }
            )
            yield smtp

    def send_invoice(self, user):
        invoice = self.init_invoice("out_invoice", partner=self.partner_a, amounts=[100], post=True)
        self.partner_a.email = "customer@client.example"
        with self.sending_provider() as smtp:
            self.env["account.move.send"].with_user(user)._generate_and_send_invoices(
                invoice.with_user(user), sending_methods={"email"}
            )
            self.env["mail.mail"].sudo().search(
                [("model", "=", "account.move"), ("res_id", "=", invoice.id)]
            ).send()
        self.assertEqual(len(smtp.messages), 1)
        return smtp.messages[0]["message"], invoice

    def alerts(self, user, invoice):
        """The alerts of the send dialog, computed as its wizard does."""
        move_data = {
            invoice: {
                "sending_methods": {"email"},
                "invoice_edi_format": False,
                "extra_edis": {},
                "mail_partner_ids": invoice.partner_id,
            }
        }
        return self.env["account.move.send"].with_user(user)._get_alerts(invoice, move_data)

    def new_domain(self, name):
        return self.env["email.sending.domain"].with_user(self.accountant).create({"name": name})

    def verify(self, domain):
        domain.action_verify()
        return {r.purpose: r for r in domain.record_ids}


@tagged("post_install", "-at_install")
class TestSendingDomain(SendingDomainCommon):
    # --------------------------------------------------
    # Records and validation
    # --------------------------------------------------

    def test_three_records_generated_deterministically(self):
        domain = self.new_domain("Good.Test")
        self.assertEqual(domain.name, "good.test")
        hosts = domain.record_ids.mapped("host")
        self.assertRegex(hosts[0], r"^em\d{4}\.good\.test$")
        self.assertEqual(hosts[1:], ["s1._domainkey.good.test", "s2._domainkey.good.test"])
        self.assertEqual(set(domain.record_ids.mapped("record_type")), {"CNAME"})
        self.assertRegex(
            domain.record_ids[1].expected_value, r"^s1\.domainkey\.u4242\.wl\d{3}\.sendgrid\.net$"
        )
        again = self.env["email.sending.domain"].new({"name": "good.test"})._expected_records()
        self.assertEqual([r[2] for r in again], domain.record_ids.mapped("expected_value"))

    def test_bad_domains(self):
        for name in (
            "me@example.com",
            "com",
            "exa mple.com",
            "a" * 250 + ".com",
            "co.uk",
            "example..com",
        ):
            with self.assertRaises(ValidationError, msg=name):
                self.new_domain(name)

    @mute_logger("odoo.sql_db")
    def test_same_domain_twice(self):
        self.new_domain("good.test")
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.new_domain("good.test")

    # --------------------------------------------------
    # Verification
    # --------------------------------------------------

    def test_verified(self):
        domain = self.new_domain("good.test")
        records = self.verify(domain)
        self.assertEqual({r.state for r in records.values()}, {"ok"})
        self.assertEqual(domain.state, "verified")
        self.assertTrue(domain.verified_date)
        self.assertIn("includes sendgrid.net", domain.spf_status)
        self.assertIn("quarantine", domain.dmarc_status)
        # Facts stored, words at display: a Dutch reader reads them in Dutch.
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["account_email_receiver"], ["nl_NL"])
        dutch = domain.with_context(lang="nl_NL")
        self.assertEqual(dutch.spf_status, "SPF aanwezig en bevat sendgrid.net.")
        self.assertIn("quarantine", dutch.dmarc_status)
        self.assertNotIn("policy", dutch.dmarc_status)

    def test_wrong_target(self):
        domain = self.new_domain("wrong.test")
        record = self.verify(domain)["dkim1"]
        self.assertEqual(record.state, "wrong")
        self.assertEqual(record.found_value, "u1.wl1.otherprovider.example")
        self.assertIn(record.expected_value, record.message)
        self.assertEqual(domain.state, "pending")

    def test_missing(self):
        record = self.verify(self.new_domain("missing.test"))["link"]
        self.assertEqual(record.state, "missing")
        self.assertIn("48 hours", record.message)
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"]._load_module_terms(["account_email_receiver"], ["nl_NL"])
        self.assertEqual(
            record.with_context(lang="nl_NL").message,
            f"Nog geen CNAME gevonden voor {record.host}. Het kan tot 48 uur duren voordat "
            "DNS-wijzigingen zichtbaar zijn.",
        )

    def test_a_record_instead_of_cname(self):
        record = self.verify(self.new_domain("proxied.test"))["link"]
        self.assertEqual(record.state, "wrong")
        self.assertIn("A record", record.message)
        self.assertIn("192.0.2.1", record.message)

    def test_txt_record_instead_of_cname(self):
        record = self.verify(self.new_domain("txt.test"))["dkim2"]
        self.assertEqual(record.state, "wrong")
        self.assertIn("TXT record", record.message)

    def test_cname_chain(self):
        domain = self.new_domain("chain.test")
        self.verify(domain)
        self.assertEqual(domain.state, "verified")

    def test_doubled_zone(self):
        record = self.verify(self.new_domain("doubled.test"))["dkim1"]
        self.assertEqual(record.state, "wrong")
        self.assertIn("s1._domainkey.doubled.test.doubled.test", record.message)
        self.assertIn("Enter only s1._domainkey", record.message)

    def test_upper_case_and_trailing_dots(self):
        domain = self.new_domain("upper.test")
        self.verify(domain)
        self.assertEqual(domain.state, "verified")

    def test_timeout_keeps_the_last_result_within_the_time_limit(self):
        domain = self.new_domain("good.test")
        self.verify(domain)
        self.assertEqual(domain.state, "verified")
        self.env["ir.config_parameter"].sudo().set_param(
            PARAM % "dns_nameservers", self.silent.address
        )
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "dns_lifetime", "0.5")
        # The time limit, counted rather than timed: one question per record,
        # none with a lifetime above the setting, and no advisory question
        # (SPF, DMARC) once the three records have used the budget.
        questions = []
        resolve = dns.resolver.Resolver.resolve

        def spy(resolver, qname, rdtype="A", *args, **kwargs):
            questions.append((str(qname), rdtype, kwargs.get("lifetime")))
            return resolve(resolver, qname, rdtype, *args, **kwargs)

        with patch.object(dns.resolver.Resolver, "resolve", autospec=True, side_effect=spy):
            records = self.verify(domain)
        self.assertEqual(len(questions), 3, questions)
        self.assertEqual({rdtype for _name, rdtype, _lifetime in questions}, {"CNAME"})
        self.assertTrue(all(0 < lifetime <= 0.5 for _n, _t, lifetime in questions), questions)
        self.assertEqual({r.state for r in records.values()}, {"ok"}, "no downgrade on a timeout")
        self.assertIn("did not answer", records["link"].message)
        self.assertEqual(domain.state, "verified")

    def test_downgrade_after_two_definitive_failures(self):
        domain = self.new_domain("good.test")
        self.verify(domain)
        # The records disappear: point the domain at an empty zone (same provider).
        empty = LoopbackDNS(zone([("unrelated.test.", "A", "192.0.2.9")])).start()
        self.addCleanup(empty.stop)
        self.env["ir.config_parameter"].sudo().set_param(PARAM % "dns_nameservers", empty.address)
        self.verify(domain)
        self.assertEqual(domain.state, "verified", "one failure is not enough")
        self.verify(domain)
        self.assertEqual(domain.state, "pending")
        self.assertIn("lost its verification", "\n".join(domain.activity_ids.mapped("summary")))

    def test_cron_fails_pending_domains_after_72_hours(self):
        domain = self.new_domain("missing.test")
        self.env["email.sending.domain"]._cron_verify()
        self.assertEqual(domain.state, "pending", "its records are not there yet")
        # The loopback DNS answers at once, so a frozen clock cannot stall its time limit.
        with freeze_time(domain.pending_since + timedelta(hours=73)):
            self.env["email.sending.domain"]._cron_verify()
        self.assertEqual(domain.state, "failed")
        self.assertTrue(domain.activity_ids)
        fresh = self.new_domain("good.test")
        self.env["email.sending.domain"]._cron_verify()
        self.assertEqual(fresh.state, "verified")

    def test_send_from_own_address_when_verified(self):
        self.alias_domain.default_from = "notifications"
        # The login, set by an administrator, is the user's own address.
        seller = self._new_user(
            "sam@good.test",
            "account.group_account_invoice",
            name="Sam Seller",
            email="sam@good.test",
        )
        self.verify(self.new_domain("good.test"))
        message, invoice = self.send_invoice(seller)
        self.assertEqual(_address(message["From"]), ("Sam Seller", "sam@good.test"))
        self.assertEqual(_address(message["Reply-To"]), ("Sam Seller", "sam@good.test"))
        self.assertNotIn("account_email_receiver_whitelabel", self.alerts(seller, invoice))

    def test_send_from_company_when_not_verified(self):
        self.alias_domain.default_from = "notifications"
        seller = self._new_user(
            "seller2", "account.group_account_invoice", name="Sam Seller", email="sam@wrong.test"
        )
        self.verify(self.new_domain("wrong.test"))
        message, invoice = self.send_invoice(seller)
        self.assertEqual(_address(message["From"])[1], "notifications@receiver.test")
        self.assertEqual(_address(message["Reply-To"]), ("Sam Seller", "sam@wrong.test"))
        alert = self.alerts(seller, invoice)["account_email_receiver_whitelabel"]
        self.assertIn("not verified", alert["message"])


@tagged("post_install", "-at_install")
class TestWhitelabelOnlyForInvoices(SendingDomainCommon):
    def test_other_mail_from_a_verified_domain_is_rewritten(self):
        """Only the invoice mail a user sent keeps a From on a verified domain:
        any other mail that names such a From (a chatter message on a contact,
        a template) is sent From the company's sender, as core does."""
        self.alias_domain.default_from = "notifications"
        seller = self._new_user(
            "seller3", "account.group_account_invoice", name="Sam Seller", email="sam@good.test"
        )
        self.verify(self.new_domain("good.test"))
        with self.sending_provider() as smtp:
            self.partner_a.email = "customer@client.example"
            # e.g. a template on a contact that names the user as its From
            self.env["mail.mail"].sudo().create(
                {
                    "model": "res.partner",
                    "res_id": self.partner_a.id,
                    "email_from": seller.email_formatted,
                    "email_to": "customer@client.example",
                    "subject": "Not an invoice",
                    "body_html": "<p>Not an invoice</p>",
                }
            )
            self.env["mail.mail"].sudo().search(
                [("model", "=", "res.partner"), ("res_id", "=", self.partner_a.id)]
            ).send()
        self.assertEqual(len(smtp.messages), 1)
        message = smtp.messages[0]["message"]
        self.assertEqual(_address(message["From"])[1], "notifications@receiver.test")


def _address(header):
    address = header.addresses[0]
    return address.display_name, address.addr_spec


@tagged("post_install", "-at_install")
class TestSendingDomainTour(SendingDomainCommon, HttpCase):
    def test_tour_whitelabel_setup(self):
        self._new_user("settings_admin", "base.group_system,account.group_account_manager")
        self.start_tour("/odoo", "email_sending_domain_setup", login="settings_admin")
        domain = self.env["email.sending.domain"].search([("name", "=", "good.test")])
        self.assertEqual(domain.state, "verified")
        self.assertEqual(len(domain.record_ids), 3)
