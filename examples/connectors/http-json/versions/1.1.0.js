// HTTP (JSON) connector, version 1.1.0.
// A generic JSON-over-HTTP client for trying out recipes and for services that echo
// requests. The host is fixed: every request goes to https://httpbin.org.

const withSlash = (path) => (path.startsWith("/") ? path : `/${path}`);

export default {
  title: "HTTP (JSON)",
  description: "Send GET, POST, PUT, PATCH and DELETE requests with JSON bodies to httpbin.org.",
  allowed_hosts: ["httpbin.org"],

  connection: {
    fields: [
      { name: "api_key", label: "API key", control_type: "password", secret: true, optional: true, hint: "Sent in the header below on every request" },
      { name: "header_name", label: "API key header", optional: true, hint: "Default X-Api-Key" },
    ],
    authorization: {
      type: "custom",
      headers: (connection) => {
        const headers = {};
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
      execute: (connection, input) => get(withSlash(input.path), input.query ?? {}),
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
};
