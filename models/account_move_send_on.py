"""Customer invoices a sales receiver posts and sends on (UBL over Peppol or
by email), and their failures as activities."""

from odoo import models
from odoo.exceptions import UserError

from ..tools import evidence


class AccountMoveSendOn(models.Model):
    _inherit = "account.move"

    def _email_receiver_post(self):
        """Record final customer invoices as posted; a failure leaves an activity."""
        for move in self.filtered(lambda m: m.state == "draft" and m.invoice_line_ids):
            try:
                with self.env.cr.savepoint():
                    move.action_post()
            except Exception as error:  # noqa: BLE001 - the invoice stays, as draft
                move._email_receiver_todo(self.env._("Could not post the received invoice"), error)

    def _email_receiver_send_xml(self):
        """Send invoices that came from valid XML on: Peppol when possible, else email."""
        self.filtered(lambda m: m._email_receiver_from_xml())._email_receiver_send_ubl()

    def action_post(self):
        # EXTENDS account: a customer invoice the conversion robot made from a
        # PDF is sent as UBL once the bookkeeper confirms it, when its receiver
        # sends invoices on.
        result = super().action_post()
        if not self.env.context.get("email_receiver_sending"):
            self.filtered(
                lambda m: (
                    m.email_receiver_pdf
                    and m.state == "posted"
                    and m.is_sale_document()
                    and m.email_receiver_id.auto_send_xml
                )
            )._email_receiver_send_ubl()
        return result

    def _email_receiver_send_ubl(self):
        """Post (when draft) and send as UBL: Peppol when possible, else email."""
        self = self.with_context(email_receiver_sending=True)  # noqa: PLW0642
        for move in self:
            try:
                with self.env.cr.savepoint():
                    if move.state == "draft":
                        move.action_post()
                    methods = move._email_receiver_sending_methods()
                    if methods == {"email"} and not move.partner_id.email:
                        raise UserError(
                            self.env._(
                                "The customer %(customer)s has no email address.",
                                customer=move.partner_id.display_name,
                            )
                        )
                    settings = {"sending_methods": methods}
                    if methods == {"email"}:
                        settings["invoice_edi_format"] = "ubl_bis3"
                    self.env["account.move.send"]._generate_and_send_invoices(
                        move, allow_fallback_pdf=True, **settings
                    )
            except Exception as error:  # noqa: BLE001 - the invoice is never lost
                move._email_receiver_todo(
                    self.env._("Could not send the received invoice on"), error
                )

    def _email_receiver_from_xml(self):
        """Whether this document's lines were decoded from an XML e-invoice."""
        self.ensure_one()
        xml_received = any(
            evidence.sniff_kind(attachment.raw) == "xml"
            for attachment in self.message_ids.attachment_ids
        )
        return xml_received and any(self.invoice_line_ids.mapped("is_imported"))

    def _email_receiver_sending_methods(self):
        """Peppol when account_peppol is installed, the company may send and
        Odoo finds the customer on the network (its own applicability check,
        which looks the endpoint up); email otherwise."""
        self.ensure_one()
        send = self.env["account.move.send"]
        if (
            "peppol"
            in self.env["res.partner"]._fields["invoice_sending_method"].get_values(self.env)
            and self.company_id.peppol_can_send
            and self.commercial_partner_id.peppol_endpoint
            and send._is_applicable_to_move("peppol", self)
        ):
            return {"peppol"}
        return {"email"}
