import { registry } from "@web/core/registry";

// The onboarding in Dutch (nl_NL): the same flow, found by its Dutch labels,
// and on every screen not one English word of the flow.
const ENGLISH = [
    "Add your first trusted sender",
    "Each supplier gets its own email address",
    "Invoices by email",
    "Sender",
    "Supplier",
    "Document type",
    "Journal",
    "Processing",
    "Address",
    "Send invoices to",
    "Options",
    "Notify members",
    "TLS only",
    "Receiver information",
    "Trusted sender",
    "Notification of receipt by email",
    "Accept only secure mail sent over SSL or TLS",
    "Send XML invoice automatically",
    "Contact email address",
    "Update status",
    "New sender",
    "Require authentication",
    "Send processing report",
    "Trusted senders",
    "Contact email",
    "Rule",
    "Value",
    "Include subdomains",
    "Add a line",
    "Send invitation",
    "Activate",
    "Deactivate",
    "Reset to draft",
    "Draft",
    "Invited",
    "Active",
    "Accepted",
    "Held",
    "New",
    "Save",
    "Discard",
    "Send message",
    "Log note",
    "Activities",
    "Followers",
    "Invitation sent",
    "Vendor bill",
    "Customer invoice",
    "XML only",
    "PDF only",
];

function noEnglish() {
    const text = document.body.innerText;
    const found = ENGLISH.filter((words) => new RegExp(`(^|[^\\w])${words}([^\\w]|$)`).test(text));
    if (found.length) {
        throw new Error(`English on a Dutch screen: ${found.join(", ")}`);
    }
}

registry.category("web_tour.tours").add("email_receiver_onboarding_nl", {
    url: "/odoo/action-account_email_receiver.email_receiver_dashboard_action",
    steps: () => [
        {
            content: "De lege app legt zichzelf uit",
            trigger: ".o_email_receiver_welcome:contains(Elke leverancier krijgt een eigen e-mailadres)",
            run: noEnglish,
        },
        {
            trigger: ".o_email_receiver_add_first:contains(Voeg uw eerste vertrouwde afzender toe)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_horizontal_separator:contains(Vertrouwde afzender)",
            run: noEnglish,
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Acme facturen",
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
            trigger: ".o_field_widget[name=rule_ids] .o_field_x2many_list_row_add a:contains(Regel toevoegen)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=rule_ids] .o_data_row .o_field_widget[name=value] input",
            run: "edit acme-tour.example",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=alias_full_name]:contains(@)",
            run: noEnglish,
        },
        {
            trigger: "button[name=action_invite].btn-primary:contains(Uitnodiging sturen)",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Uitgenodigd)",
        },
        {
            trigger: ".o_form_view .o_form_sheet",
            run: noEnglish,
        },
        {
            trigger: "button[name=action_activate].btn-primary:contains(Activeren)",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Actief)",
        },
        {
            trigger: ".o_form_view .o_form_sheet",
            run: noEnglish,
        },
    ],
});
