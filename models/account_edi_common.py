from odoo import models


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    def _import_partner(self, company_id, name, phone, email, vat, **kwargs):
        # EXTENDS account_edi_ubl_cii: a purchase receiver knows its supplier; the
        # XML may fill the lines but never switches the supplier (the receiver's
        # trust is about that supplier).
        partner_id = self.env.context.get("email_receiver_partner_id")
        if not partner_id:
            return super()._import_partner(company_id, name, phone, email, vat, **kwargs)
        partner = self.env["res.partner"].browse(partner_id)
        logs = []
        if name and name.strip().lower() != (partner.name or "").strip().lower():
            logs.append(
                self.env._(
                    "The XML names the supplier '%(xml)s'; the receiver's supplier "
                    "%(partner)s was kept.",
                    xml=name,
                    partner=partner.display_name,
                )
            )
        return partner, logs
