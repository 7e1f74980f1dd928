{
    "name": "Email Receiver: trusted senders to vendor bills",
    "summary": "One mail address per trusted supplier: whitelisted, TLS-checked "
    "mail becomes bills through Odoo's own e-invoice import; "
    "the rest is held with a reason. Whitelabel sending domain.",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "account_email_receiver developers",
    "website": "https://www.odoo.com/documentation/19.0/",
    "depends": ["account", "mail", "account_edi_ubl_cii"],
    "external_dependencies": {
        "python": ["dnspython", "authres", "publicsuffixlist"],
    },
    "data": [],
    "demo": [],
    "installable": True,
    "application": True,
}
