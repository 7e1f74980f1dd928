import { registry } from "@web/core/registry";

// The app opens on its dashboard; a click on a chart opens the matching records.
registry.category("web_tour.tours").add("email_receiver_dashboard", {
    url: "/odoo/action-account_email_receiver.email_receiver_dashboard_action",
    steps: () => [
        {
            content: "Counters: what arrived and what was held",
            trigger: ".o_email_receiver_held:contains(2)",
        },
        {
            trigger: ".o_email_receiver_chart_outcome canvas",
        },
        {
            trigger: ".o_email_receiver_chart_document_type canvas",
        },
        {
            content: "Top reasons for holding: one bar, click it",
            trigger: ".o_email_receiver_chart_reason canvas",
            run: "click",
        },
        {
            content: "The held mail of that reason opens",
            trigger: ".o_list_view .o_data_row td[name=subject]:contains(Held one)",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=subject]:contains(Held two)",
        },
        {
            content: "and only that",
            trigger: ".o_list_view:not(:has(td:contains(Accepted one)))",
        },
    ],
});
