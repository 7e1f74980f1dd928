import { registry } from "@web/core/registry";

// New sender, a domain rule, invitation, activation: the whole onboarding.
registry.category("web_tour.tours").add("email_receiver_onboarding", {
    url: "/odoo/action-account_email_receiver.email_receiver_dashboard_action",
    steps: () => [
        {
            content: "The empty app explains itself and offers the first sender",
            trigger: ".o_email_receiver_welcome:contains(Each supplier gets its own email address)",
        },
        {
            trigger: ".o_email_receiver_add_first",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Acme bills",
        },
        {
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Acme Tour Supplier",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Acme Tour Supplier)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=contact_email] input",
            run: "edit ap@acme-tour.example",
        },
        {
            content: "Add a trusted domain",
            trigger: ".o_field_widget[name=rule_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=rule_ids] .o_data_row .o_field_widget[name=value] input",
            run: "edit acme-tour.example",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The generated address is shown",
            trigger: ".o_field_widget[name=alias_full_name]:contains(@)",
        },
        {
            content: "Invite",
            trigger: "button[name=action_invite].btn-primary",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Invited)",
        },
        {
            content: "Activate",
            trigger: "button[name=action_activate].btn-primary",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Active)",
        },
    ],
});
