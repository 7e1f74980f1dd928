"""Grants: how the code paths that earn trust tell the ORM so.

A field that widens trust (a verified address, the release of a held mail)
is written only by the code path that earns it. That path passes a grant in
the context; ``create``/``write`` refuse those fields to everyone else. A
grant is a Python object that JSON cannot express, so no RPC caller can set
one, whatever context it sends (a client-settable flag would not do).
"""


class _Earned:
    """The one instance below: 'this write was earned by our own code'."""

    __slots__ = ()

    def __repr__(self):
        return "<earned>"


EARNED = _Earned()
EARNED_KEY = "email_receiver_earned"


def earned(env):
    return env.context.get(EARNED_KEY) is EARNED


def earn(records):
    """``records`` with the grant, for the code path that earned the write."""
    return records.with_context(**{EARNED_KEY: EARNED})


WHITELABEL_KEY = "email_receiver_whitelabel"


def whitelabel(records):
    """``records`` (invoice mail) that may keep a From on a verified domain."""
    return records.with_context(**{WHITELABEL_KEY: EARNED})


def is_whitelabel(env):
    return env.context.get(WHITELABEL_KEY) is EARNED
