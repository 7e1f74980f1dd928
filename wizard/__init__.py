from . import email_receiver_status
