// @ts-check
/// <reference path="./patchbay-connector.d.ts" />
// A starter connector: one connection field, one action, one trigger. Try it with
//   patchbay connector check connector.js
//   patchbay connector exec connector.js --action get_item --input '{"id": "1"}' \
//     --connection '{"api_key": "…"}' --verbose
// and replace the host, the paths and the fields with your API's.

/** @type {import("./patchbay-connector").Connector} */
export default {
  title: "__TITLE__",
  description: "What this connector does, in one sentence.",
  allowed_hosts: ["api.example.com"],

  connection: {
    fields: [{ name: "api_key", label: "API key", control_type: "password" }],
    authorization: { type: "bearer", token: (connection) => connection.api_key },
    base_uri: (connection) => "https://api.example.com",
  },

  // Called by "Test connection": any answer that is not an error means the key works.
  test: (connection) => get("/me"),

  actions: {
    get_item: {
      title: "Get item",
      description: "One item by its id.",
      input_fields: [{ name: "id", label: "Item id" }],
      output_fields: [
        { name: "id" },
        { name: "name" },
        { name: "updated_at", type: "date_time" },
      ],
      execute: (connection, input) => {
        const item = get(`/items/${encodeURIComponent(input.id)}`);
        return { id: item.id, name: item.name, updated_at: item.updated_at };
      },
    },
  },

  triggers: {
    new_item: {
      title: "New item",
      description: "Items created since the last poll.",
      output_fields: [{ name: "id" }, { name: "name" }],
      poll: (connection, input, cursor) => {
        const since = cursor ?? new Date(0).toISOString();
        const page = get("/items", { created_after: since });
        const items = page.items ?? [];
        const last = items.length > 0 ? items[items.length - 1].created_at : since;
        return { events: items.map((i) => ({ id: i.id, name: i.name })), cursor: last };
      },
      dedup: (event) => String(event.id),
    },
  },
};
