"""19.0.1.5.0: the log carries one stage. Where a mail is on its path was
spread over the state 'entered' and the flags followed_up and
follow_up_ready; it is the stage now (entered, held, accepted, queued, done),
and the state is what the bookkeeper sees (empty while a mail is entered)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'email_receiver_log'
           AND column_name IN ('followed_up', 'follow_up_ready')
        """
    )
    if len(cr.fetchall()) < 2:
        return  # nothing to carry over
    cr.execute("ALTER TABLE email_receiver_log ADD COLUMN IF NOT EXISTS stage varchar")
    cr.execute(
        """
        UPDATE email_receiver_log
           SET stage = CASE
                   WHEN state = 'entered' THEN 'entered'
                   WHEN state = 'held' THEN 'held'
                   WHEN followed_up IS NOT TRUE AND follow_up_ready THEN 'queued'
                   WHEN followed_up IS NOT TRUE THEN 'accepted'
                   ELSE 'done'
               END
        """
    )
    cr.execute("UPDATE email_receiver_log SET state = NULL WHERE state = 'entered'")
