import json
from base64 import b64decode, b64encode

from requests import PreparedRequest, Response, Session

from odoo.tests import tagged
from odoo.tools import file_open

from .common import SPF_PASS, EmailReceiverCommon

# The Peppol sample's customer, with a Swedish organisation number as its
# Peppol endpoint (the sample's own EAS 0002 is no longer a valid scheme).
CUSTOMER_ENDPOINT = b'<cbc:EndpointID schemeID="0007">5567321707</cbc:EndpointID>'
PEPPOL_ID = "0007:5567321707"
INVOICE_DOCUMENT = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017"
    "#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)


@tagged("post_install", "-at_install")
class TestPeppolSendOn(EmailReceiverCommon):
    """Customer invoices sent on over Peppol through account_peppol (installed
    by `make test`). The Peppol access point cannot exist here: Odoo's hook for
    outgoing HTTP (``_request_handler``) answers its lookup and send_document
    calls, the way account_peppol's own tests do; everything else is real."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("account_peppol.edi.mode", "test")
        cls.company.write(
            {
                "country_id": cls.env.ref("base.be").id,
                "peppol_eas": "0208",
                "peppol_endpoint": "0477472701",
                "account_peppol_proxy_state": "receiver",
            }
        )
        key = cls.env["certificate.key"].create(
            {
                "name": "Test key (account_peppol's test asset)",
                "content": b64encode(
                    file_open("account_peppol/tests/assets/private_key.pem", "rb").read()
                ),
            }
        )
        cls.env["account_edi_proxy_client.user"].create(
            {
                "id_client": "aer-peppol-test-client",
                "proxy_type": "peppol",
                "edi_mode": "test",
                "edi_identification": cls.env[
                    "account_edi_proxy_client.user"
                ]._get_proxy_identification(cls.company, "peppol"),
                "private_key_id": key.id,
                # The HMAC key the requests are signed with (base64).
                "refresh_token": b64encode(b"aer-refresh-token").decode(),
                "company_id": cls.company.id,
            }
        )
        cls._use_for_customer_invoices()
        cls.ubl_peppol = cls.ubl.replace(
            b'<cbc:EndpointID schemeID="0002">FR23342</cbc:EndpointID>', CUSTOMER_ENDPOINT
        )

    def setUp(self):
        super().setUp()
        # What the access point was asked; the handler is a classmethod.
        type(self)._access_point = {"on_network": True, "sent": []}

    @classmethod
    def _request_handler(cls, s: Session, r: PreparedRequest, /, **kw):
        access_point = cls._access_point
        response = Response()
        response.status_code = 200
        if r.path_url.startswith("/api/peppol/1/lookup"):
            if access_point["on_network"]:
                result = {
                    "identifier": PEPPOL_ID,
                    "smp_base_url": "http://smp.test",
                    "ttl": 60,
                    "service_group_url": "http://smp.test/group",
                    "services": [{"href": "http://smp.test/s", "document_id": INVOICE_DOCUMENT}],
                }
                response.json = lambda: {"result": result}
            else:
                response.status_code = 404
                response.json = lambda: {
                    "error": {"code": "NOT_FOUND", "message": "no naptr record", "retryable": False}
                }
            return response
        if r.path_url == "/api/peppol/1/send_document":
            documents = json.loads(r.body)["params"]["documents"]
            access_point["sent"].extend(documents)
            response.json = lambda: {
                "result": {"messages": [{"message_uuid": f"uuid-{len(access_point['sent'])}"}]}
            }
            return response
        response.json = lambda: {"result": {}}
        return response

    def test_sent_on_over_peppol(self):
        self.process(
            self.mail(
                attachments=[("invoice.xml", self.ubl_peppol, "application/xml")],
                headers=[SPF_PASS],
            )
        )
        invoice = self.last_log().move_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "amount_total": 1656.25,
                    "peppol_move_state": "processing",
                    "peppol_message_uuid": "uuid-1",
                }
            ],
        )
        self.assertEqual(
            f"{invoice.partner_id.peppol_eas}:{invoice.partner_id.peppol_endpoint}", PEPPOL_ID
        )
        [document] = self._access_point["sent"]
        self.assertEqual(document["receiver"], PEPPOL_ID)
        ubl = b64decode(document["ubl"])
        self.assertIn(b"<cbc:ID>" + invoice.name.encode() + b"</cbc:ID>", ubl)
        self.assertIn(b"1656.25", ubl)
        self.assertIn(
            "sent to the Peppol Access Point", " ".join(invoice.message_ids.mapped("body"))
        )
        self.assertFalse(self.outgoing("lj@buyer.se"), "Peppol, not email")
        self.assertFalse(invoice.activity_ids)

    def test_customer_not_on_peppol_gets_email(self):
        self._access_point["on_network"] = False
        self.process(
            self.mail(
                attachments=[("invoice.xml", self.ubl_peppol, "application/xml")],
                headers=[SPF_PASS],
            )
        )
        invoice = self.last_log().move_ids
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(self._access_point["sent"])
        sent = self.outgoing("lj@buyer.se")
        self.assertEqual(len(sent), 1)
        self.assertTrue(any(a.name.endswith(".xml") for a in sent.attachment_ids))
