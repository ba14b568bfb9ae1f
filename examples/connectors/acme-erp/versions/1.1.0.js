// Acme ERP connector, version 1.1.0.
// Acme ERP REST API v3. Every tenant has its own path prefix on one shared host.

export default {
  title: "Acme ERP",
  description: "Customers, sales orders, invoices and inventory in Acme ERP.",
  allowed_hosts: ["api.acme-erp.example"],

  connection: {
    fields: [
      { name: "tenant_id", label: "Tenant ID", hint: "Shown under Administration → Company, e.g. t-4821" },
      { name: "api_key", label: "API key", control_type: "password", secret: true, hint: "Administration → Integrations → API keys" },
    ],
    authorization: { type: "api_key", header: "X-Acme-Api-Key", value: (connection) => connection.api_key },
    base_uri: (connection) => `https://api.acme-erp.example/v3/tenants/${connection.tenant_id}`,
  },

  test: (connection) => get("/company"),

  actions: {
    get_customer: {
      title: "Get customer",
      description: "Fetches a customer account with its balance and credit limit.",
      input_fields: [{ name: "customer_number", label: "Customer number", hint: "e.g. C-10042" }],
      output_fields: [
        { name: "customer_number" },
        { name: "name" },
        { name: "email" },
        { name: "currency" },
        { name: "balance", type: "number" },
        { name: "credit_limit", type: "number" },
        { name: "payment_terms" },
        { name: "status" },
      ],
      execute: (connection, input) => get(`/customers/${input.customer_number}`),
    },

    create_sales_order: {
      title: "Create sales order",
      description: "Creates an open sales order.",
      input_fields: [
        { name: "customer_number", label: "Customer number" },
        { name: "order_date", label: "Order date", type: "date" },
        { name: "currency", label: "Currency", optional: true, hint: "Defaults to the customer's currency" },
        { name: "lines", label: "Lines", type: "array", properties: [
          { name: "sku", label: "SKU" },
          { name: "quantity", label: "Quantity", type: "integer" },
          { name: "unit_price", label: "Unit price", type: "number", optional: true, hint: "Defaults to the price list" },
        ] },
      ],
      output_fields: [
        { name: "order_number" },
        { name: "status" },
        { name: "total", type: "number" },
        { name: "currency" },
        { name: "lines", type: "array", properties: [
          { name: "line_number", type: "integer" }, { name: "sku" }, { name: "quantity", type: "number" }, { name: "amount", type: "number" },
        ] },
      ],
      execute: (connection, input) => {
        if (input.lines == null || input.lines.length === 0) throw new Error("A sales order needs at least one line");
        const order = {
          customer_number: input.customer_number,
          order_date: input.order_date,
          lines: input.lines.map((line) => {
            const l = { sku: line.sku, quantity: line.quantity };
            if (line.unit_price != null) l.unit_price = line.unit_price;
            return l;
          }),
        };
        if (input.currency != null) order.currency = input.currency;
        return post("/sales-orders", order);
      },
    },

    adjust_inventory: {
      title: "Adjust inventory",
      description: "Books a stock correction (positive or negative) for an item in a warehouse.",
      input_fields: [
        { name: "sku", label: "SKU" },
        { name: "warehouse", label: "Warehouse", control_type: "select", pick_list: "warehouses" },
        { name: "quantity_change", label: "Quantity change", type: "number", hint: "e.g. -3 for three damaged units" },
        { name: "reason", label: "Reason", optional: true },
      ],
      output_fields: [
        { name: "adjustment_id" },
        { name: "sku" },
        { name: "warehouse" },
        { name: "on_hand", label: "On hand after", type: "number" },
      ],
      execute: (connection, input) => post("/inventory/adjustments", {
        sku: input.sku,
        warehouse: input.warehouse,
        quantity_change: input.quantity_change,
        reason: input.reason ?? "Adjusted by Patchbay",
      }),
    },
  },

  triggers: {
    new_invoice: {
      title: "New invoice",
      description: "Fires for each invoice issued in Acme ERP, oldest first.",
      input_fields: [],
      output_fields: [
        { name: "invoice_number" },
        { name: "customer_number" },
        { name: "sales_order_number" },
        { name: "total", type: "number" },
        { name: "currency" },
        { name: "due_date", type: "date" },
        { name: "status" },
        { name: "created_at", type: "date_time" },
      ],
      // The cursor is the created_at of the newest invoice seen.
      poll: (connection, input, cursor) => {
        const page = get("/invoices", { sort: "created_at", limit: 100, ...(cursor != null && { created_after: cursor }) });
        let next = cursor;
        for (const invoice of page.data) next = invoice.created_at;
        return { events: page.data, cursor: next };
      },
      dedup: (invoice) => invoice.invoice_number,
    },
  },

  pick_lists: {
    warehouses: (connection) => get("/warehouses").data.map((w) => [`${w.name} (${w.code})`, w.code]),
  },
};
