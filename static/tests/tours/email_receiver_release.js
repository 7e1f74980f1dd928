import { registry } from "@web/core/registry";

// The held-mail review as a fraud desk: a lookalike sender shown whole with
// the part that gives it away marked, advice for a mail about bank details,
// the evidence in words, and a Release that asks first and says what it does.
registry.category("web_tour.tours").add("email_receiver_release", {
    url: "/odoo/action-account_email_receiver.email_receiver_log_action_held",
    steps: () => [
        {
            content: "The menu counts the held mail",
            trigger:
                ".o_nav_entry[data-menu-xmlid$=email_receiver_menu_held] .o_email_receiver_menu_count:contains(1)",
        },
        {
            content: "Held mail is grouped by reason",
            trigger: ".o_group_header:contains(Sender not trusted)",
            run: "click",
        },
        {
            content: "The whole lookalike address, its foreign part marked",
            trigger:
                ".o_data_row td:contains(billing@supplier.example.evil.test) mark.o_email_receiver_differs:contains(.evil.test)",
        },
        {
            content: "Release in the list asks first",
            trigger: ".o_data_row:contains(Our new bank details) button[name=action_release]",
            run: "click",
        },
        {
            trigger: ".modal:contains(The sender is not trusted for future mail) .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o_data_row td[name=subject]:contains(Our new bank details)",
            run: "click",
        },
        {
            content: "The reason, and what to do about a mail on bank details",
            trigger: ".o_email_receiver_held_alert:contains(Sender not trusted):contains(a number you already have)",
        },
        {
            content: "The status bar in the order a mail lives: held, then released",
            trigger: ".o_statusbar_status:contains(Held):contains(Released):not(:contains(Accepted))",
        },
        {
            content: "The evidence in words",
            trigger: ".o_field_widget[name=evidence_summary]:contains(Not authenticated)",
        },
        {
            content: "The kept mail's attachments",
            trigger: ".o_field_widget[name=preview_attachments]:contains(invoice.xml)",
        },
        {
            trigger: ".o_field_widget[name=preview_xml]:contains(Invoice)",
        },
        {
            trigger: ".o_form_statusbar button[name=action_release]",
            run: "click",
        },
        {
            content: "Release says what it does before it acts",
            trigger: ".modal:contains(its next mail is held again) .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Released)",
        },
        {
            trigger: ".o_nav_entry[data-menu-xmlid$=email_receiver_menu_held]",
            run: "click",
        },
        {
            content: "Released, the mail no longer counts as held",
            trigger:
                ".o_nav_entry[data-menu-xmlid$=email_receiver_menu_held]:not(:has(.o_email_receiver_menu_count))",
        },
    ],
});
