"""The Email Receiver dashboard's figures."""

from odoo import api, models


class EmailReceiverLogDashboard(models.Model):
    _inherit = "email.receiver.log"

    @api.model
    def get_dashboard_state(self):
        """What the Email Receiver dashboard shows, within the user's companies."""
        companies = self.env.companies
        receiver_count = self.env["email.receiver"].search_count([])
        counts = dict(self._read_group([], ["state"], ["__count"]))
        titles = {
            "outcome": self.env._("Documents by outcome over time"),
            "company": self.env._("By company"),
            "document_type": self.env._("By document type"),
            "reason": self.env._("Top reasons for holding"),
        }
        if not self.env.user.has_group("base.group_multi_company"):
            del titles["company"]
        return {
            "receiver_count": receiver_count,
            "log_count": sum(counts.values()),
            "held_count": counts.get("held", 0),
            "review_count": counts.get("review", 0),
            "alias_domain": all(company.alias_domain_id for company in companies),
            "search_view_id": self.env.ref(
                "account_email_receiver.email_receiver_log_view_search"
            ).id,
            "charts": [
                {
                    "key": key,
                    "title": title,
                    "view_id": self.env.ref(
                        f"account_email_receiver.email_receiver_log_view_graph_{key}"
                    ).id,
                    "domain": [("state", "=", "held")] if key == "reason" else [],
                }
                for key, title in titles.items()
            ],
        }
