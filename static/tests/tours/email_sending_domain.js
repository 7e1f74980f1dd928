import { registry } from "@web/core/registry";

// Settings block -> domain form -> three records -> Verify -> verified.
registry.category("web_tour.tours").add("email_sending_domain_setup", {
    url: "/odoo/action-account.action_account_config",
    steps: () => [
        {
            content: "The whitelabel block is in the Invoicing settings",
            trigger: "#email_sending_domain button[name=action_open_sending_domain]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit good.test",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Three CNAME records to add",
            trigger: ".o_field_widget[name=record_ids] .o_data_row:nth-child(3)",
        },
        {
            trigger: ".o_field_widget[name=record_ids] .o_data_row:contains(s2._domainkey.good.test)",
        },
        {
            content: "Verify against DNS",
            trigger: "button[name=action_verify]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Verified)",
        },
    ],
});
