from markupsafe import Markup, escape

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

PAGE = Markup(
    "<!DOCTYPE html><html><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>%(title)s</title></head>"
    "<body style='font-family: sans-serif; max-width: 36rem; margin: 3rem auto;'>"
    "%(body)s</body></html>"
)


class EmailReceiverController(http.Controller):
    @http.route(
        "/email_receiver/confirm/<int:address_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        sitemap=False,
    )
    def confirm_address(self, address_id, token, **kwargs):
        """The link mailed to an extra address: the token is the authentication.
        Opening it (GET, which mail link scanners do) only shows a page; the
        button on that page (POST, with Odoo's CSRF token) confirms."""
        Address = request.env["email.receiver.user.address"]
        try:
            if request.httprequest.method == "POST":
                address = Address._confirm(address_id, token)
                return self._page(
                    request.env._("Address confirmed"),
                    Markup("<p>%s</p>")
                    % request.env._(
                        "%(email)s is confirmed. You can close this page.", email=address.email
                    ),
                )
            address = Address._from_link(address_id, token)
        except UserError as error:
            return self._page(
                request.env._("Address not confirmed"), Markup("<p>%s</p>") % error, 403
            )
        form = Markup(
            "<p>%(text)s</p><form method='post'>"
            "<input type='hidden' name='csrf_token' value='%(csrf)s'/>"
            "<button type='submit'>%(button)s</button></form>"
        ) % {
            "text": request.env._(
                "Confirm that %(email)s is your address: mail you send from it then counts "
                "as mail from you for the trusted senders of your company.",
                email=address.email,
            ),
            "csrf": request.csrf_token(),
            "button": request.env._("Confirm this address"),
        }
        return self._page(request.env._("Confirm your address"), form)

    def _page(self, title, body, status=200):
        html = PAGE % {"title": escape(title), "body": body}
        return request.make_response(
            html, status=status, headers=[("Content-Type", "text/html; charset=utf-8")]
        )
