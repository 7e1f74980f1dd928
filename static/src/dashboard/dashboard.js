import { Component, onWillStart } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { View } from "@web/views/view";

/**
 * The Email Receiver dashboard: four charts of the processing log, each an
 * ordinary graph view (a click on a bar opens the matching records), or the
 * guided first run when the company has no receiver yet.
 */
export class EmailReceiverDashboard extends Component {
    static template = "account_email_receiver.Dashboard";
    static components = { View };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        onWillStart(async () => {
            this.state = await this.orm.call("email.receiver.log", "get_dashboard_state", []);
        });
    }

    graphProps(chart) {
        return {
            resModel: "email.receiver.log",
            type: "graph",
            viewId: chart.view_id,
            views: [
                [chart.view_id, "graph"],
                [this.state.search_view_id, "search"],
            ],
            domain: chart.domain,
            context: { graph_disable_linking: false },
            display: { controlPanel: false },
            useSampleModel: false,
        };
    }

    openAction(xmlId, options = {}) {
        return this.action.doAction(xmlId, options);
    }

    addFirstSender() {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "email.receiver",
            views: [[false, "form"]],
            target: "current",
        });
    }
}

registry.category("actions").add("account_email_receiver.dashboard", EmailReceiverDashboard);
