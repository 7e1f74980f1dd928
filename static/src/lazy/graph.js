import { registry } from "@web/core/registry";
import { graphView } from "@web/views/graph/graph_view";
import { GraphModel } from "@web/views/graph/graph_model";
import { GraphRenderer } from "@web/views/graph/graph_renderer";

/**
 * The received-mail charts: one colour per outcome in every chart (held is
 * red wherever it appears), whole numbers on the axes, and no "Sum" line
 * over stacked bars (the stack's height already is the sum).
 */
// The outcomes' colours, Odoo's own status colours.
export const OUTCOME_COLORS = {
    accepted: "#28a745",
    review: "#f0ad4e",
    held: "#dc3545",
    released: "#17a2b8",
};

export class EmailReceiverGraphModel extends GraphModel {
    _getLineOverlayDataset() {
        return null;
    }
}

export class EmailReceiverGraphRenderer extends GraphRenderer {
    outcomeColor(label) {
        const selection = this.model.metaData.fields.state?.selection || [];
        const match = selection.find(([, name]) => name === label);
        return match && OUTCOME_COLORS[match[0]];
    }

    getBarChartData() {
        const data = super.getBarChartData();
        for (const dataset of data.datasets) {
            dataset.backgroundColor = this.outcomeColor(dataset.label) || dataset.backgroundColor;
        }
        return data;
    }

    getScaleOptions() {
        const scales = super.getScaleOptions();
        if (scales.y) {
            scales.y.ticks.precision = 0;
            scales.y.ticks.callback = (value) => (Number.isInteger(value) ? String(value) : "");
        }
        return scales;
    }
}

registry.category("views").add("email_receiver_graph", {
    ...graphView,
    Model: EmailReceiverGraphModel,
    Renderer: EmailReceiverGraphRenderer,
});
