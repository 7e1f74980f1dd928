"""19.0.1.4.0: one word per concept (the README's glossary). A mail held
because its From is proven false was stored with the reason 'spoofed' (shown
"Forged sender"); it is 'forged' now, in the logs, their selection value and
saved filters. The held-mail notice's template was `mail_template_rejection_notice`."""

RENAMED_XMLIDS = {
    "mail_template_rejection_notice": "mail_template_held_notice",
    "selection__email_receiver_log__reason__spoofed": (
        "selection__email_receiver_log__reason__forged"
    ),
}


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE email_receiver_log SET reason = 'forged' WHERE reason = 'spoofed'")
    cr.execute(
        """
        UPDATE ir_filters
           SET domain = replace(domain, '''spoofed''', '''forged''')
         WHERE model_id = 'email.receiver.log' AND domain LIKE '%''spoofed''%'
        """
    )
    # The selection value keeps its row (and its Dutch name) under its new value.
    cr.execute(
        """
        UPDATE ir_model_fields_selection s
           SET value = 'forged'
          FROM ir_model_fields f
         WHERE s.field_id = f.id AND f.model = 'email.receiver.log' AND f.name = 'reason'
           AND s.value = 'spoofed'
           AND NOT EXISTS (
               SELECT 1 FROM ir_model_fields_selection o
                WHERE o.field_id = f.id AND o.value = 'forged')
        """
    )
    for old, new in RENAMED_XMLIDS.items():
        cr.execute(
            """
            UPDATE ir_model_data d SET name = %(new)s
             WHERE d.module = 'account_email_receiver' AND d.name = %(old)s
               AND NOT EXISTS (
                   SELECT 1 FROM ir_model_data n
                    WHERE n.module = 'account_email_receiver' AND n.name = %(new)s)
            """,
            {"old": old, "new": new},
        )
