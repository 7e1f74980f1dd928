"""Run Odoo's own test suites after installation: ``make test-core``.

At install time a core module's tests run while that module loads, before
this addon is loaded, so they prove nothing about it. This starts Odoo's
server on an installed database and runs the selected suites, at_install and
post_install tests alike, once every module (this addon included) is loaded,
with the HTTP server up for the HttpCase classes.

    python dev/test_core.py <odoo server arguments> -d DB --test-tags ...
"""

import odoo.cli
from odoo.tests import loader

_make_suite = loader.make_suite


def make_suite(module_names, position="at_install"):
    """The post-install run takes the at_install tests too."""
    if position != "post_install":
        return _make_suite(module_names, position)
    tests = [*_make_suite(module_names, "at_install"), *_make_suite(module_names, "post_install")]
    return loader.OdooSuite(sorted(tests, key=lambda t: getattr(t, "test_sequence", 0)))


loader.make_suite = make_suite

if __name__ == "__main__":
    odoo.cli.main()
