from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    """The web client loads in a real Chromium for an accounting user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bookkeeper = new_test_user(
            cls.env,
            login="bookkeeper",
            password="bookkeeper-pw",
            groups="base.group_user,account.group_account_invoice",
        )

    def test_web_client_opens(self):
        # browser_js fails the test on any JavaScript error or asset failure.
        self.browser_js(
            "/odoo",
            "console.log('test successful')",
            "odoo.isReady === true",
            login="bookkeeper",
        )
