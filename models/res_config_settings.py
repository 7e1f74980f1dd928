from odoo import fields, models

from ..tools.settings import PARAM, default


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    email_receiver_authserv_ids = fields.Char(
        "Trusted authserv-ids",
        config_parameter=PARAM % "authserv_ids",
        help="Comma-separated authserv-ids of your own mail servers (RFC 8601). "
        "Only Authentication-Results headers with one of these ids are trusted. "
        "Empty: no header is trusted, and Odoo checks DKIM, SPF and DMARC itself "
        "(it always does when such a header says neither pass nor fail).",
    )
    email_receiver_arc_sealers = fields.Char(
        "Trusted ARC sealers",
        config_parameter=PARAM % "arc_sealers",
        help="Comma-separated domains of forwarders and mailing lists whose ARC "
        "seal you trust (the d= of their ARC-Seal). Their recorded DKIM/SPF/DMARC "
        "pass then counts for mail they forwarded. Empty: ARC is not used.",
    )
    email_receiver_entry_host = fields.Char(
        "Entry host",
        config_parameter=PARAM % "entry_host",
        help="The host name your mail server writes after 'by' in its Received "
        "header. Only that header is evidence of TLS. Empty: the topmost one.",
    )
    email_receiver_max_size_mb = fields.Integer(
        "Maximum message size (MB)",
        config_parameter=PARAM % "max_size_mb",
        default=default("max_size_mb"),
    )
    email_receiver_retention_days = fields.Integer(
        "Keep held mail (days)",
        config_parameter=PARAM % "retention_days",
        default=default("retention_days"),
    )
    email_receiver_inbound_secret = fields.Char(
        "Inbound endpoint secret",
        config_parameter=PARAM % "inbound_secret",
        readonly=True,
        help="Mail servers and hosted providers send it as 'Authorization: Bearer "
        "…' to POST mail to /email_receiver/inbound.",
    )
    email_receiver_inbound_hmac_key = fields.Char(
        "Signing key",
        config_parameter=PARAM % "inbound_hmac_key",
        help="Optional. When set, every POST to /email_receiver/inbound must carry "
        "X-Email-Receiver-Timestamp and X-Email-Receiver-Signature (hex HMAC-SHA256 "
        "of '<timestamp>.<recipients>.<body>' with this key, recipients as sent in "
        "X-Email-Receiver-Recipients, at most 5 minutes old); unsigned requests are "
        "refused. A key of its own, never the bearer secret.",
    )
    email_sending_dns_nameservers = fields.Char(
        "DNS servers",
        config_parameter=PARAM % "dns_nameservers",
        help="Comma-separated DNS servers (host or host:port) used to check "
        "incoming mail (DKIM, SPF, DMARC) and the sending domain's records. "
        "Empty: the system's resolvers.",
    )
    email_sending_dns_lifetime = fields.Float(
        "DNS time limit (s)",
        config_parameter=PARAM % "dns_lifetime",
        default=default("dns_lifetime"),
    )

    # --------------------------------------------------
    # Actions
    # --------------------------------------------------

    def action_email_receiver_regenerate_secret(self):
        self.env["email.receiver.inbound"]._generate_secret()
        return {"type": "ir.actions.client", "tag": "reload"}
