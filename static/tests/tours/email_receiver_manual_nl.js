import { registry } from "@web/core/registry";

// The Dutch manual "Vertrouwde e-mailafzender", step by step, each element
// found by the words the manual uses (../shared/manual/).
registry.category("web_tour.tours").add("email_receiver_manual_nl", {
    url: "/odoo",
    steps: () => [
        {
            content: "Ga onder het menu Apps ...",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "... naar de Email Receiver app",
            trigger: ".o_app:contains(Email Receiver), .dropdown-item:contains(Email Receiver)",
            run: "click",
        },
        {
            content: "Er wordt gestart in het dashboard",
            trigger: ".o_email_receiver_dashboard",
        },
        {
            content: "Het onderdeel Vertrouwde afzenders",
            trigger: ".o_menu_sections button:contains(Vertrouwde afzenders)",
            run: "click",
        },
        {
            content: "de weergave tab Alles",
            trigger: ".dropdown-item:contains(Alles)",
            run: "click",
        },
        {
            content: "Alle huidige e-mailadressen staan zichtbaar",
            trigger: ".o_breadcrumb:contains(Vertrouwde afzenders)",
        },
        {
            trigger: ".o_kanban_record:contains(bestaande-leverancier@), .o_data_row:contains(bestaande-leverancier@)",
        },
        {
            content: "rechts de knop Nieuwe afzender",
            trigger: ".o-kanban-button-new:contains(Nieuwe afzender)",
        },
        {
            content: "links in het menu Nieuwe afzender",
            trigger: ".o_menu_sections button:contains(Vertrouwde afzenders)",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains(Nieuwe afzender)",
            run: "click",
        },
        {
            content: "Het linker blok Ontvanger informatie",
            trigger: ".o_form_view .o_horizontal_separator:contains(Ontvanger informatie)",
        },
        {
            trigger: ".o_form_view .o_horizontal_separator:contains(Vertrouwde afzender)",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Handleiding leverancier",
        },
        {
            content: "Het rechter blok Vertrouwde afzender bevat gegevens van de leverancier",
            trigger:
                ".o_inner_group:has(.o_horizontal_separator:contains(Vertrouwde afzender)) .o_field_widget[name=partner_id] input",
            run: "edit Handleiding Leverancier",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Handleiding Leverancier)",
            run: "click",
        },
        {
            content: "Optie: Notificatie ontvangst via e-mail",
            trigger: ".o_form_label:contains(Notificatie ontvangst via e-mail)",
            run: "click",
        },
        {
            content: "Optie: Accepteer alleen veilige e-mailadressen verzonden via SSL of TLS",
            trigger: ".o_form_label:contains(Accepteer alleen veilige e-mailadressen verzonden via SSL of TLS)",
            run: "click",
        },
        {
            content: "Optie: XML-factuur automatisch versturen (bij verkoopfacturen)",
            trigger: ".o_field_widget[name=document_type] .o_select_menu_toggler",
            run: "click",
        },
        {
            trigger: ".o_select_menu_item:contains(Klantfactuur (concept))",
            run: "click",
        },
        {
            trigger: ".o_form_label:contains(XML-factuur automatisch versturen)",
        },
        {
            trigger: ".o_field_widget[name=document_type] .o_select_menu_toggler",
            run: "click",
        },
        {
            trigger: ".o_select_menu_item:contains(Inkoopfactuur (concept))",
            run: "click",
        },
        {
            content: "Bij inkoopfacturen blijft de optie zichtbaar, voor verkoopfacturen",
            trigger: ".o_row:has(.o_form_label:contains(XML-factuur automatisch versturen)):contains(bij verkoopfacturen) .o_field_widget[name=auto_send_xml].o_readonly_modifier",
        },
        {
            content: "Contact e-mailadres",
            trigger: ".o_form_label:contains(Contact e-mailadres)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=contact_email] input:focus",
            run: "edit facturen@handleiding.example",
        },
        {
            content: "Whitelist type: een volledig domein van de leverancier",
            trigger: ".o_field_widget[name=rule_ids] th:contains(Whitelist type)",
        },
        {
            trigger: ".o_field_widget[name=rule_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=rule_ids] .o_data_row .o_field_widget[name=rule_type] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "een volledig domein, een specifiek e-mailadres of de geverifieerde gebruiker",
            trigger: ".o_select_menu_menu:has(.o_select_menu_item:contains(E-mailadres)):has(.o_select_menu_item:contains(Geverifieerde gebruiker)) .o_select_menu_item:contains(Domein)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=rule_ids] .o_data_row .o_field_widget[name=value] input",
            run: "edit handleiding.example",
        },
        {
            content: "Opslaan",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Na het opslaan verschijnt een knop met de status: Gemaakt concept",
            trigger: ".o_email_receiver_status_button:contains(Gemaakt concept)",
            run: "click",
        },
        {
            content: "selecteer de juiste status: Actief",
            trigger: ".modal .o_field_widget[name=state] label:contains(Actief)",
            run: "click",
        },
        {
            content: "en verlaat met Status updaten",
            trigger: ".modal button:contains(Status updaten)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o_email_receiver_status_button:contains(Actief)",
        },
    ],
});
