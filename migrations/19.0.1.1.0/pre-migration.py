"""19.0.1.1.0: one word per concept. A held mail's log state was stored as
'rejected' (shown "Held"); it is now 'held', as everywhere else."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE email_receiver_log SET state = 'held' WHERE state = 'rejected'")
    # Saved searches and dashboards that filter on the old value.
    cr.execute(
        """
        UPDATE ir_filters
           SET domain = replace(domain, '''rejected''', '''held''')
         WHERE model_id = 'email.receiver.log' AND domain LIKE '%''rejected''%'
        """
    )
