"""Authentic by default: Odoo checks DKIM, SPF and DMARC itself (#14).

A real DNS server on loopback (dnslib) serves the suppliers' DKIM keys, SPF
and DMARC records; it stands in for the internet's DNS, which does not exist
here. Mail is signed in the test with a key generated for it (dkimpy). No
setting is touched but the DNS server's address: no trusted authserv-id, no
milter, nothing to switch on.
"""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools import evidence
from .common import DATA, TRUSTED_SENDER, EmailReceiverCommon
from .servers import DkimKey, SilentDNS

# supplier.example publishes p=reject and allows 192.0.2.10 to send;
# lax.example signs but publishes no DMARC record; esp.example is a mailing
# service that signs with its own domain.
SUPPLIER_IP = "192.0.2.10"
STRANGER_IP = "198.51.100.7"
LAX_SENDER = "billing@lax.example"
KEYS = {
    domain: DkimKey(domain)
    for domain in ("supplier.example", "lax.example", "esp.example", "lists.example")
}


def received_from(ip):
    return (
        f"from mail.supplier.example (mail.supplier.example [{ip}]) by mx.receiver.test "
        "(Postfix) with ESMTPS id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000"
    )


def sign(raw, domain, length=False):
    """Sign as the sending domain's server does."""
    return KEYS[domain].sign(raw, length=length)


def received_fixtures():
    """``(ip, Received value)`` of real MTAs (tests/data/received/README.md)."""
    for name in ("mailauth.txt", "public.txt", "mtas.txt"):
        for line in (DATA / "received" / name).read_text().splitlines():
            if line and not line.startswith("#") and "\t" in line:
                ip, received = line.split("\t", 1)
                yield (None if ip == "-" else ip), received


@tagged("post_install", "-at_install")
class TestAuthentication(EmailReceiverCommon):
    @classmethod
    def _dns_records(cls):
        return [
            *(key.record() for key in KEYS.values()),
            ("_dmarc.supplier.example.", "TXT", '"v=DMARC1; p=reject; adkim=r; aspf=r"'),
            ("supplier.example.", "TXT", f'"v=spf1 ip4:{SUPPLIER_IP} -all"'),
            ("lax.example.", "TXT", '"v=spf1 ~all"'),
            ("_dmarc.esp.example.", "TXT", '"v=DMARC1; p=quarantine"'),
        ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver.with_user(cls.accountant).write(
            {"rule_ids": [Command.create({"rule_type": "domain", "value": "lax.example"})]}
        )

    def assertBill(self, log, auth_result):
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": auth_result}])
        self.assertRecordValues(
            log.move_ids,
            [
                {
                    "partner_id": self.supplier.id,
                    "amount_total": 1656.25,
                    "ref": "Snippet1",
                    "state": "draft",
                }
            ],
        )

    # --------------------------------------------------
    # DKIM
    # --------------------------------------------------

    def test_aligned_dkim_pass_becomes_bill(self):
        self.process(sign(self.mail(), "supplier.example"))
        log = self.last_log()
        self.assertBill(log, "pass")
        self.assertEqual(
            log.auth_details,
            "dkim=pass (supplier.example, s=mail), dmarc=pass (supplier.example, p=reject)",
        )
        self.assertEqual(
            log.auth_header,
            "odoo; dkim=pass header.d=supplier.example header.s=mail; "
            "dmarc=pass header.from=supplier.example policy.dmarc=reject",
        )
        self.assertIn(
            "Authentication: Authenticated", "\n".join(log.move_ids.message_ids.mapped("body"))
        )

    def test_signed_length_authenticates_nothing_after_it(self):
        # l= covers the first part of the body; an invoice appended after it
        # is nobody's word.
        signed = sign(self.mail(subject="Invoice l="), "supplier.example", length=True)
        self.process(signed + b"\nAlso pay IBAN XX00 EVIL 0000 0000.\n")
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertIn("dkim=policy (supplier.example, s=mail)", log.auth_details)
        # Signed with l= over the whole body: authenticated as before.
        self.process(sign(self.mail(subject="Invoice whole l="), "supplier.example", length=True))
        self.assertRecordValues(self.last_log(), [{"state": "accepted", "auth_result": "pass"}])

    def test_second_content_type_above_a_signed_one_is_malformed(self):
        # The attack of l=: a Content-Type above the signed one (Odoo reads the
        # first, DKIM the last) and an invoice after the signed length.
        signed = sign(
            self.mail(attachments=(), subject="Our letter", body="Dear customer, see you soon."),
            "supplier.example",
            length=True,
        )
        forged = (
            b'Content-Type: multipart/mixed; boundary="EVIL"\n'
            + signed
            + b"\n--EVIL\nContent-Type: application/xml\nContent-Disposition: attachment; "
            b'filename="i.xml"\n\n' + self.ubl + b"\n--EVIL--\n"
        )
        self.process(forged)
        log = self.assertHeld(self.last_log(), "malformed", auth_result="none")
        self.assertIn("Content-Type", log.explanation)
        self.assertFalse(self.env["account.move"].search([("ref", "=", "Snippet1")]))
        # Every RFC 5322 singleton counts: two Subjects.
        self.process(b"Subject: two\n" + self.mail(subject="one"))
        self.assertHeld(self.last_log(), "malformed", auth_result="none")

    def test_body_changed_after_signing_is_not_authenticated(self):
        signed = sign(self.mail(sender=LAX_SENDER), "lax.example")
        changed = signed.replace(b"Please find our invoice", b"Please pay our invoice")
        self.process(changed)
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "none"}])
        self.assertIn("dkim=fail (lax.example, s=mail)", log.auth_details)
        self.assertEqual(len(log.move_ids), 1)
        # Where authentication is required, the same mail is held.
        self.receiver.require_authentication = True
        self.process(changed.replace(b"Invoice Snippet1", b"Invoice Snippet1 again"))
        self.assertHeld(self.last_log(), "unauthenticated", auth_result="none")

    def test_signed_only_by_another_domain_is_not_aligned(self):
        self.process(sign(self.mail(sender=LAX_SENDER), "esp.example"))
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "none"}])
        self.assertIn("dkim=pass (esp.example, s=mail)", log.auth_details)
        # From a domain that publishes p=reject, the same is forged.
        self.process(sign(self.mail(subject="via esp"), "esp.example"))
        self.assertHeld(self.last_log(), "forged", auth_result="fail")

    def test_unsigned_under_reject_is_forged_and_never_answered(self):
        self.process(self.mail(subject="forged"))
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertIn("dmarc=fail (supplier.example, p=reject)", log.auth_details)
        self.assertIn("DMARC", log.explanation)
        self.assertFalse(self.outgoing(TRUSTED_SENDER), "no notice to the forged From")
        self.assertTrue(self.outgoing("accounts@supplier.example"), "the contact is told")

    def test_unsigned_without_dmarc_is_accepted_as_not_authenticated(self):
        self.process(self.mail(sender=LAX_SENDER))
        log = self.last_log()
        self.assertBill(log, "none")
        self.assertEqual(log.auth_details, "dmarc=none (lax.example)")
        self.assertIn(
            "Authentication: Not authenticated",
            "\n".join(log.move_ids.message_ids.mapped("body")),
        )
        self.assertFalse(self.receiver.require_authentication, "nothing was authenticated")
        self.receiver.require_authentication = True
        self.process(self.mail(sender=LAX_SENDER, subject="required"))
        self.assertHeld(self.last_log(), "unauthenticated", auth_result="none")

    def test_arc_only_from_a_trusted_sealer(self):
        def through_the_list(subject):
            # A mailing list receives the signed invoice, checks it, tags the
            # subject and adds a footer (the signature breaks), and seals it.
            signed = sign(self.mail(subject=subject), "supplier.example")
            changed = signed.replace(b"Subject: ", b"Subject: [ap] ", 1).replace(
                b"Please find our invoice attached.", b"Please find our invoice attached.\n-- \nap"
            )
            return KEYS["lists.example"].arc_seal(
                changed,
                "dkim=pass header.d=supplier.example; dmarc=pass header.from=supplier.example",
            )

        self.process(through_the_list("Invoice Snippet1"))
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertNotIn(", arc=", log.auth_details, "ARC is not read unless a sealer is trusted")
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.arc_sealers", "lists.example"
        )
        self.process(through_the_list("Invoice Snippet1, again"))
        log = self.last_log()
        self.assertBill(log, "pass")
        self.assertIn("arc=pass (lists.example)", log.auth_details)
        self.assertIn("dkim=fail (supplier.example, s=mail)", log.auth_details)

    # --------------------------------------------------
    # SPF
    # --------------------------------------------------

    def test_spf_pass_from_the_entry_hop_is_authenticated(self):
        raw = self.mail(
            received=received_from(SUPPLIER_IP),
            headers=[("Return-Path", "<bounces@supplier.example>")],
        )
        self.process(raw)
        log = self.last_log()
        self.assertBill(log, "pass")
        self.assertIn("spf=pass (supplier.example)", log.auth_details)
        # A lower hop naming the right IP proves nothing: only our entry hop counts.
        self.process(
            self.mail(
                subject="lower hop",
                received=received_from(STRANGER_IP),
                headers=[
                    ("Return-Path", "<bounces@supplier.example>"),
                    ("Received", f"from x ([{SUPPLIER_IP}]) by relay.supplier.example"),
                ],
            )
        )
        self.assertHeld(self.last_log(), "forged", auth_result="fail")

    def test_every_mta_format_gives_the_connecting_ip_never_the_helo(self):
        fixtures = list(received_fixtures())
        self.assertGreaterEqual(len(fixtures), 52)
        for ip, received in fixtures:
            with self.subTest(received=received):
                self.assertEqual(evidence.entry_client([received])[0], ip)
                helo = received.split()[1]
                if helo.startswith("[") and helo.strip("[]").removeprefix("IPv6:") != ip:
                    # the first word is the client's HELO, an address literal: never the IP
                    self.assertNotEqual(
                        evidence.entry_client([received])[0], helo.strip("[]"), "the HELO"
                    )

    def test_helo_address_literal_does_not_pass_spf(self):
        # Postfix writes the client's greeting first: EHLO [the supplier's SPF address].
        self.process(
            self.mail(
                received=f"from [{SUPPLIER_IP}] (unknown [{STRANGER_IP}]) by mx.receiver.test "
                "(Postfix) with ESMTPS id 4AB12; Mon, 23 Nov 2026 09:00:00 +0000",
                headers=[("Return-Path", "<bounces@supplier.example>")],
            )
        )
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertIn("spf=fail (supplier.example)", log.auth_details)

    def test_spf_fail_under_reject_is_forged(self):
        self.process(
            self.mail(
                received=received_from(STRANGER_IP),
                headers=[("Return-Path", "<bounces@supplier.example>")],
            )
        )
        log = self.assertHeld(self.last_log(), "forged", auth_result="fail")
        self.assertIn("spf=fail (supplier.example)", log.auth_details)

    # --------------------------------------------------
    # DNS that does not answer
    # --------------------------------------------------

    def test_silent_dns_holds_then_recheck_releases(self):
        self.receiver.require_authentication = True
        silent = SilentDNS().start()
        self.addCleanup(silent.stop)
        self._use_dns(silent, lifetime="0.3")
        # No freeze_time here: dnspython's time limit runs on the real clock.
        self.process(sign(self.mail(), "supplier.example"))
        log = self.assertHeld(self.last_log(), "unverified", auth_result="temperror")
        self.assertIn("dkim=temperror", log.auth_details)
        self.assertIn("checked again automatically", log.explanation)
        # Still silent: the re-check leaves it held.
        self.env["email.receiver.log"]._cron_recheck_unverified()
        self.assertRecordValues(log, [{"state": "held", "reason": "unverified"}])
        # DNS answers again: the cron finds it authenticated and releases it.
        self._use_dns(self.dns)
        cron = self.env.ref("account_email_receiver.ir_cron_recheck_unverified")
        self.assertRecordValues(
            cron,
            [
                {
                    "code": "model._cron_recheck_unverified()",
                    "interval_number": 15,
                    "interval_type": "minutes",
                    "active": True,
                }
            ],
        )
        self.env["email.receiver.log"]._cron_recheck_unverified()
        log.invalidate_recordset()
        self.assertRecordValues(log, [{"state": "released", "auth_result": "pass"}])
        self.assertRecordValues(
            log.move_ids, [{"partner_id": self.supplier.id, "amount_total": 1656.25}]
        )
        self.assertIn("released automatically", log.explanation)

    def test_silent_dns_is_never_forged(self):
        silent = SilentDNS().start()
        self.addCleanup(silent.stop)
        self._use_dns(silent, lifetime="0.3")
        self.process(self.mail())
        log = self.last_log()
        # Not required: accepted as "could not verify", never held as forged.
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "temperror"}])

    def test_recheck_finds_forgery(self):
        self.receiver.require_authentication = True
        silent = SilentDNS().start()
        self.addCleanup(silent.stop)
        self._use_dns(silent, lifetime="0.3")
        self.process(self.mail(subject="unsigned"))
        log = self.assertHeld(self.last_log(), "unverified", auth_result="temperror")
        self._use_dns(self.dns)
        self.env["email.receiver.log"]._cron_recheck_unverified()
        self.assertRecordValues(log, [{"state": "held", "reason": "forged", "auth_result": "fail"}])
        self.assertFalse(log.move_ids)

    # --------------------------------------------------
    # The pipeline
    # --------------------------------------------------

    def test_require_authentication_switches_on_once(self):
        self.assertFalse(self.receiver.require_authentication)
        self.process(sign(self.mail(sender=LAX_SENDER), "lax.example"))
        self.assertRecordValues(self.last_log(), [{"state": "accepted", "auth_result": "pass"}])
        self.assertRecordValues(
            self.receiver,
            [{"require_authentication": True, "require_authentication_switched": True}],
        )
        bodies = "\n".join(self.receiver.message_ids.mapped("body"))
        self.assertIn("only authenticated mail is accepted", bodies)
        self.assertIn("signed by lax.example (DKIM)", bodies, "the evidence in words")
        self.assertNotIn("dkim=pass", bodies)
        self.process(self.mail(sender=LAX_SENDER, subject="unsigned now"))
        self.assertHeld(self.last_log(), "unauthenticated", auth_result="none")
        # A bookkeeper switches it off: it stays off.
        self.receiver.with_user(self.accountant).require_authentication = False
        self.process(sign(self.mail(sender=LAX_SENDER, subject="signed again"), "lax.example"))
        self.assertFalse(self.receiver.require_authentication)

    def test_held_mail_switches_nothing_on(self):
        self.receiver.state = "inactive"
        self.process(sign(self.mail(), "supplier.example"))
        self.assertHeld(self.last_log(), "inactive", auth_result="none")
        self.receiver.state = "active"
        self.env["ir.config_parameter"].sudo().set_param(
            "account_email_receiver.max_size_mb", "0.001"
        )
        self.process(sign(self.mail(subject="too large"), "supplier.example"))
        self.assertHeld(self.last_log(), "too_large", auth_result="none")
        self.assertRecordValues(
            self.receiver, [{"require_authentication": False, "tls_only": False}]
        )

    def test_stranger_costs_no_dns_query(self):
        self.env["email.receiver"]._gateway_dns().resolver.cache.flush()
        before = self.dns.requests
        self.process(
            sign(self.mail(sender="billing@stranger.example", subject="stranger"), "esp.example")
        )
        self.assertHeld(self.last_log(), "not_whitelisted", auth_result="none")
        self.assertEqual(self.dns.requests, before, "no DNS query for a stranger")
        self.process(sign(self.mail(subject="trusted"), "supplier.example"))
        self.assertGreater(self.dns.requests, before, "the trusted sender's mail is checked")

    def test_release_checks_what_the_decision_did_not(self):
        # Held as untrusted before any DNS query; releasing it checks DMARC.
        self.process(self.mail(sender="billing@esp.example", subject="from esp"))
        log = self.assertHeld(self.last_log(), "not_whitelisted", auth_result="none")
        with self.assertRaisesRegex(AccessError, "DMARC policy"):
            log.with_user(self.bookkeeper).action_release()
        log.invalidate_recordset()
        self.assertRecordValues(log, [{"state": "held", "auth_result": "none"}])
        log.with_user(self.accountant).action_release()
        self.assertRecordValues(log, [{"state": "released", "auth_result": "fail"}])
        self.assertIn("dmarc=fail (esp.example, p=quarantine)", log.auth_details)
        self.assertEqual(log.move_ids.state, "draft")

    def test_unauthenticated_customer_invoice_stays_draft(self):
        self._use_for_customer_invoices()
        self.process(self.mail(sender=LAX_SENDER))
        log = self.last_log()
        self.assertRecordValues(log, [{"state": "accepted", "auth_result": "none"}])
        invoice = log.move_ids
        self.assertRecordValues(
            invoice, [{"move_type": "out_invoice", "state": "draft", "amount_total": 1656.25}]
        )
        self.assertFalse(invoice.is_move_sent)
        self.assertIn("Not posted or sent automatically", log.explanation)
        self.assertEqual(invoice.activity_ids.summary, "Check: the mail was not authenticated")
