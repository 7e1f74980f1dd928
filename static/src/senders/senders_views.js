import { registry } from "@web/core/registry";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";

/**
 * The trusted senders' list and kanban: their create button says what it
 * makes, "New trusted sender" (the manual's "Nieuwe afzender"), not "New".
 */
export class TrustedSenderListController extends ListController {
    static template = "account_email_receiver.TrustedSenderListView";
}

export class TrustedSenderKanbanController extends KanbanController {
    static template = "account_email_receiver.TrustedSenderKanbanView";
}

registry.category("views").add("email_receiver_list", {
    ...listView,
    Controller: TrustedSenderListController,
});
registry.category("views").add("email_receiver_kanban", {
    ...kanbanView,
    Controller: TrustedSenderKanbanController,
});
