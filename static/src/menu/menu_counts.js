import { onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { NavBar } from "@web/webclient/navbar/navbar";

/** The menus that show how much mail waits for a bookkeeper, and the log states they count. */
export const COUNTED_MENUS = {
    "account_email_receiver.email_receiver_menu_held": "held",
    "account_email_receiver.email_receiver_menu_review": "review",
};
const APP_XMLID = "account_email_receiver.email_receiver_menu_root";

/**
 * A count beside "Held mail" and "Needs review", as Odoo's Discuss counts
 * unread messages: refreshed whenever the Email Receiver app shows a new
 * screen, so releasing a mail lowers it at once.
 */
patch(NavBar.prototype, {
    setup() {
        super.setup();
        this.emailReceiverOrm = useService("orm");
        this.emailReceiverCounts = useState({});
        const refresh = () => this.emailReceiverRefreshCounts();
        onWillStart(refresh);
        this.env.bus.addEventListener("ACTION_MANAGER:UI-UPDATED", refresh);
        this.env.bus.addEventListener("MENUS:APP-CHANGED", refresh);
        onWillUnmount(() => {
            this.env.bus.removeEventListener("ACTION_MANAGER:UI-UPDATED", refresh);
            this.env.bus.removeEventListener("MENUS:APP-CHANGED", refresh);
        });
    },

    async emailReceiverRefreshCounts() {
        if (this.currentApp?.xmlid !== APP_XMLID) {
            return;
        }
        const entries = await Promise.all(
            Object.entries(COUNTED_MENUS).map(async ([xmlid, state]) => [
                xmlid,
                await this.emailReceiverOrm.searchCount("email.receiver.log", [
                    ["state", "=", state],
                ]),
            ])
        );
        Object.assign(this.emailReceiverCounts, Object.fromEntries(entries));
    },
});
