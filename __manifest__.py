{
    "name": "Email Receiver: trusted senders to vendor bills",
    "summary": "One mail address per trusted supplier: whitelisted, TLS-checked "
    "mail becomes bills through Odoo's own e-invoice import; "
    "the rest is held with a reason. Whitelabel sending domain.",
    "version": "19.0.1.5.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "account_email_receiver developers",
    "website": "https://www.odoo.com/documentation/19.0/",
    "depends": ["account", "mail", "account_edi_ubl_cii"],
    "external_dependencies": {
        "python": [
            "dnspython",
            "authres",
            "publicsuffixlist",
            "dkimpy",
            "pyspf",
            "authheaders",
            "aiosmtpd",
            "pdfplumber",
        ],
    },
    "data": [
        "security/email_receiver_security.xml",
        "security/ir.model.access.csv",
        "data/res_users_data.xml",
        "data/mail_message_subtype_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "views/email_receiver_views.xml",
        "views/email_receiver_log_views.xml",
        "views/email_sending_domain_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "wizard/email_receiver_status_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/email_receiver_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "account_email_receiver/static/src/**/*",
            # the graph views load lazily, with Odoo's own
            ("remove", "account_email_receiver/static/src/lazy/**/*"),
        ],
        "web.assets_backend_lazy": ["account_email_receiver/static/src/lazy/**/*"],
        "web.assets_tests": ["account_email_receiver/static/tests/tours/*.js"],
    },
    "images": ["static/description/screenshots/dashboard.png"],
    "installable": True,
    "application": True,
}
