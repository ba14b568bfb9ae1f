// HTTP (JSON) connector, version 1.2.0.
// A generic JSON-over-HTTP client for trying out recipes and for services that echo
// requests. The host is fixed: every request goes to https://httpbin.org.

const withSlash = (path) => (path.startsWith("/") ? path : `/${path}`);

// A JSON value's kind, for the trigger's error message.
const kindOf = (value) => {
  if (value == null) return "nothing";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
};

export default {
  title: "HTTP (JSON)",
  description: "Send GET, POST, PUT, PATCH and DELETE requests with JSON bodies to httpbin.org, and poll a JSON list for new items.",
  allowed_hosts: ["httpbin.org"],

  connection: {
    fields: [
      { name: "api_key", label: "API key", control_type: "password", secret: true, optional: true, hint: "Sent in the header below on every request" },
      { name: "header_name", label: "API key header", optional: true, hint: "Default X-Api-Key" },
    ],
    authorization: {
      type: "custom",
      headers: (connection) => {
        const headers = { "Accept": "application/json" };
        if (connection.api_key != null && connection.api_key !== "") {
          const name = connection.header_name ?? "";
          headers[name === "" ? "X-Api-Key" : name] = connection.api_key;
        }
        return headers;
      },
    },
    base_uri: (connection) => "https://httpbin.org",
  },

  test: (connection) => get("/get"),

  actions: {
    get_json: {
      title: "GET",
      description: "Sends a GET request with optional query parameters and returns the parsed JSON.",
      input_fields: [
        { name: "path", label: "Path", hint: "e.g. /get or /json" },
        { name: "query", label: "Query parameters", type: "object", optional: true },
      ],
      output_fields: [{ name: "args", type: "object" }, { name: "headers", type: "object" }, { name: "url" }],
      execute: (connection, { path, query }) =>
        query == null || Object.keys(query).length === 0 ? get(withSlash(path)) : get(withSlash(path), query),
    },

    post_json: {
      title: "POST",
      description: "Sends a JSON body with POST.",
      input_fields: [
        { name: "path", label: "Path", hint: "e.g. /post or /anything/orders" },
        { name: "body", label: "Body", type: "object" },
      ],
      output_fields: [{ name: "json", type: "object" }, { name: "headers", type: "object" }, { name: "url" }],
      execute: (connection, input) => post(withSlash(input.path), input.body ?? {}),
    },

    put_json: {
      title: "PUT",
      description: "Sends a JSON body with PUT.",
      input_fields: [
        { name: "path", label: "Path", hint: "e.g. /put" },
        { name: "body", label: "Body", type: "object" },
      ],
      output_fields: [{ name: "json", type: "object" }, { name: "url" }],
      execute: (connection, input) => put(withSlash(input.path), input.body ?? {}),
    },

    patch_json: {
      title: "PATCH",
      description: "Sends a JSON body with PATCH.",
      input_fields: [
        { name: "path", label: "Path", hint: "e.g. /patch" },
        { name: "body", label: "Body", type: "object" },
      ],
      output_fields: [{ name: "json", type: "object" }, { name: "url" }],
      execute: (connection, input) => patch(withSlash(input.path), input.body ?? {}),
    },

    delete_resource: {
      title: "DELETE",
      description: "Sends a DELETE request.",
      input_fields: [{ name: "path", label: "Path", hint: "e.g. /delete" }],
      output_fields: [{ name: "url" }],
      execute: (connection, input) => del(withSlash(input.path)),
    },
  },

  triggers: {
    new_item: {
      title: "New item in JSON list",
      description: "Polls a GET endpoint that returns a list and fires once per item it has not seen, by ID.",
      input_fields: [
        { name: "path", label: "Path", hint: "e.g. /anything/orders" },
        { name: "items_key", label: "List key", optional: true, hint: "Key of the list in the response, e.g. items; empty if the response is the list" },
        { name: "id_key", label: "ID key", optional: true, hint: "Key that identifies an item, default id" },
      ],
      output_fields: [
        { name: "id", label: "Item ID" },
        { name: "item", type: "object" },
      ],
      poll(connection, input, cursor) {
        const response = get(withSlash(input.path));
        const key = input.items_key ?? "";
        const items = key === "" ? response : response[key];
        if (!Array.isArray(items)) throw `Expected a list at '${key}', got ${kindOf(items)}`;
        const idKey = (input.id_key ?? "") === "" ? "id" : input.id_key;
        // A missing ID is the empty string.
        return { events: items.map((item) => ({ id: `${item[idKey] ?? ""}`, item })), cursor: null };
      },
      dedup: (event) => event.id,
    },
  },
};
