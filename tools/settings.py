"""The addon's Settings, read in one place: each value, its type and its default.

Every part of the addon reads a setting through ``setting(env, name)``, and
``res.config.settings`` declares the same names and defaults, so that a
value means the same wherever it is used (the size limit of the gateway,
the endpoint and the held mail's explanation; the DNS client of the
gateway and of the whitelabel check).
"""

PARAM = "account_email_receiver.%s"


def _names(value):
    """A comma-separated list, without blanks."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


# name -> (how the stored text is read, the default)
SETTINGS = {
    "max_size_mb": (float, 25),
    "retention_days": (int, 30),
    "entry_host": (str, ""),
    "authserv_ids": (_names, ()),
    "arc_sealers": (_names, ()),
    "dns_nameservers": (_names, ()),
    "dns_lifetime": (float, 5.0),
    "inbound_secret": (str, ""),
    "inbound_hmac_key": (str, ""),
    "pdf_max_mb": (float, 10.0),
    "pdf_max_pages": (int, None),  # None: the robot's own limit (pdf_invoice.Limits)
    "pdf_seconds": (float, None),
    "provider_host": (str, "sendgrid.net"),
    "provider_account": (str, ""),
}


def setting(env, name):
    """The value of Settings' ``name``, or its default when it is empty."""
    read, default = SETTINGS[name]
    value = env["ir.config_parameter"].sudo().get_param(PARAM % name)
    if value in (None, False, ""):
        return default
    return read(value)


def default(name):
    """The default of Settings' ``name`` (for ``res.config.settings``)."""
    return SETTINGS[name][1]
