from odoo import http
from odoo.exceptions import UserError
from odoo.http import request


class EmailReceiverController(http.Controller):
    @http.route(
        "/email_receiver/confirm/<int:address_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    def confirm_address(self, address_id, token, **kwargs):
        """The link mailed to an extra address: the token is the authentication."""
        try:
            address = request.env["email.receiver.user.address"]._confirm(address_id, token)
        except UserError as error:
            return request.make_response(
                str(error),
                status=403,
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )
        message = request.env._(
            "%(email)s is confirmed. You can close this page.", email=address.email
        )
        return request.make_response(
            message, headers=[("Content-Type", "text/plain; charset=utf-8")]
        )
