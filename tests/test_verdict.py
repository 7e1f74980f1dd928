"""The gateway's decision on facts alone (``tools/verdict.py``): no database,
no DNS, no mail; the order of the checks and the facts each one needs."""

from odoo.tests import BaseCase, tagged

from ..tools.verdict import (
    AUTHENTICATION,
    DOCUMENTS,
    TRUSTED,
    Documents,
    Facts,
    Invoice,
    Policy,
    decide,
)

POLICY = Policy(active=True, max_bytes=1000, checks_buyer=True, our_ids=("SE4598375937", None))
INVOICE = Documents(found=(("invoice.xml", True),), has_xml=True)
GOOD = Facts(
    size=10,
    sender="billing@supplier.example",
    trusted=True,
    auth_result="pass",
    used_tls=True,
    documents=INVOICE,
)


@tagged("post_install", "-at_install")
class TestVerdict(BaseCase):
    def assertReason(self, facts, reason, policy=POLICY):
        decision = decide(policy, facts)
        self.assertIsNone(decision.needs)
        self.assertEqual(decision.reason, reason)
        return decision

    def test_accepted(self):
        self.assertReason(GOOD, False)

    def test_a_costly_fact_is_asked_for_only_when_the_checks_before_it_passed(self):
        facts = Facts(size=10, sender="billing@supplier.example")
        self.assertEqual(decide(POLICY, facts).needs, TRUSTED)
        facts = Facts(size=10, sender="billing@supplier.example", trusted=True)
        self.assertEqual(decide(POLICY, facts).needs, AUTHENTICATION)
        facts = Facts(size=10, sender="billing@supplier.example", trusted=True, auth_result="none")
        self.assertEqual(decide(POLICY, facts).needs, DOCUMENTS)
        # A stranger costs no DNS query and no look at the attachments.
        self.assertReason(
            Facts(size=10, sender="x@elsewhere.example", trusted=False), "not_whitelisted"
        )
        # A mail held before Odoo parsed it is judged on its headers alone.
        self.assertReason(
            Facts(
                size=10,
                sender="billing@supplier.example",
                trusted=True,
                auth_result="none",
                looks_at_documents=False,
            ),
            False,
        )

    def test_the_first_failing_check_decides(self):
        self.assertReason(GOOD, "inactive", Policy(active=False, max_bytes=1000))
        self.assertReason(Facts(size=10), "malformed_from")
        decision = self.assertReason(
            Facts(size=10, sender="a@b.example", repeated_header="From"), "malformed"
        )
        self.assertEqual(decision.header, "From")
        self.assertReason(Facts(size=10, sender="a@b.example", trusted=False), "not_whitelisted")
        too_large = Facts(size=5000, sender="a@b.example", trusted=True, auth_result="fail")
        self.assertReason(too_large, "too_large")
        self.assertReason(Facts(**{**GOOD.__dict__, "auth_result": "fail"}), "forged")
        strict = Policy(active=True, max_bytes=1000, require_authentication=True, tls_only=True)
        self.assertReason(
            Facts(**{**GOOD.__dict__, "auth_result": "none"}), "unauthenticated", strict
        )
        self.assertReason(
            Facts(**{**GOOD.__dict__, "auth_result": "temperror"}), "unverified", strict
        )
        self.assertReason(Facts(**{**GOOD.__dict__, "used_tls": False}), "no_tls", strict)

    def test_documents(self):
        def with_documents(**values):
            return Facts(**{**GOOD.__dict__, "documents": Documents(**values)})

        self.assertReason(with_documents(), "no_document")
        self.assertReason(with_documents(names_a_file=True), "no_invoice")
        self.assertReason(with_documents(found=(("terms.docx", False),)), "no_invoice")
        decision = self.assertReason(
            with_documents(found=(("a.zip", False),), refused_archive=("a.zip", "too_many_files")),
            "unreadable_archive",
        )
        self.assertEqual(dict(decision.document), {"name": "a.zip", "problem": "too_many_files"})
        robot = Policy(active=True, max_bytes=1000, reads_pdfs=True)
        pdfs = (("a.pdf", "encrypted"), ("b.pdf", None))
        self.assertReason(
            with_documents(found=(("a.pdf", True), ("b.pdf", True)), pdfs=pdfs), False, robot
        )
        decision = self.assertReason(
            with_documents(found=(("a.pdf", True),), pdfs=pdfs[:1]), "unreadable_pdf", robot
        )
        self.assertEqual(decision.document["problem"], "encrypted")

    def test_invoices_for_someone_else_or_already_in_odoo(self):
        elsewhere = Invoice(buyer_name="Other BV", buyer_ids=("NL001", None), number="1", total=5)
        decision = self.assertReason(
            Facts(
                **{
                    **GOOD.__dict__,
                    "documents": Documents(
                        found=INVOICE.found, has_xml=True, invoices=(elsewhere,)
                    ),
                }
            ),
            "not_addressed",
        )
        self.assertEqual(
            dict(decision.document),
            {"buyer": "Other BV", "buyer_ids": "NL001", "ours": "SE4598375937"},
        )
        # Only an identifier both sides have is compared.
        unknown = Invoice(buyer_ids=(None, "0088:123"), number="1", total=5)
        seen = Invoice(
            buyer_ids=("SE4598375937", None),
            number="Snippet1",
            total=1656.25,
            existing=("BILL/2026/0001", 7),
        )
        facts = Facts(
            **{
                **GOOD.__dict__,
                "documents": Documents(found=INVOICE.found, has_xml=True, invoices=(unknown, seen)),
            }
        )
        decision = self.assertReason(facts, "duplicate_invoice")
        self.assertEqual(decision.document["bill_id"], 7)
        # A customer-invoice receiver does not check the buyer.
        self.assertReason(facts, False, Policy(active=True, max_bytes=1000))

    def test_a_released_mail_is_judged_on_its_documents_alone(self):
        released = Facts(size=10**9, released=True, documents=INVOICE)
        self.assertReason(released, False, Policy(active=False, max_bytes=0))
        seen = Invoice(number="Snippet1", total=1, existing=("BILL/1", 1))
        facts = Facts(
            size=0,
            released=True,
            documents=Documents(found=INVOICE.found, has_xml=True, invoices=(seen,)),
        )
        self.assertReason(facts, "duplicate_invoice")
        # Released with nothing to read: an empty draft, not held again.
        self.assertReason(Facts(size=0, released=True, documents=Documents()), False)
