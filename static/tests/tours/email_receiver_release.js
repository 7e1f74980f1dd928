import { registry } from "@web/core/registry";

// Held mail, grouped by reason -> open it -> see the reason -> Release.
registry.category("web_tour.tours").add("email_receiver_release", {
    url: "/odoo/action-account_email_receiver.email_receiver_log_action_held",
    steps: () => [
        {
            content: "Held mail is grouped by reason",
            trigger: ".o_group_header:contains(Sender not trusted)",
            run: "click",
        },
        {
            trigger: ".o_data_row td[name=subject]:contains(Invoice to release)",
            run: "click",
        },
        {
            content: "The reason in plain words",
            trigger: ".alert-danger:contains(is not on the whitelist)",
        },
        {
            content: "The kept mail can be previewed",
            trigger: ".o_field_widget[name=preview_attachments]:contains(invoice.xml)",
        },
        {
            trigger: "button[name=action_release]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Released)",
        },
    ],
});
