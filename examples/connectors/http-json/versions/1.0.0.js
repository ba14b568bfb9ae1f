// HTTP (JSON) connector, version 1.0.0.
// A generic JSON-over-HTTP client for trying out recipes and for services that echo
// requests. The host is fixed: every request goes to https://httpbin.org.
export default {
  title: "HTTP (JSON)",
  description: "Send GET and POST requests with JSON bodies to httpbin.org.",
  allowed_hosts: ["httpbin.org"],

  connection: {
    fields: [],
    base_uri: (connection) => "https://httpbin.org",
  },

  test: (connection) => get("/get"),

  actions: {
    get_json: {
      title: "GET",
      description: "Sends a GET request with optional query parameters and returns the parsed JSON.",
      input_fields: [
        { name: "path", label: "Path", hint: "Starts with /, e.g. /get or /json" },
        { name: "query", label: "Query parameters", type: "object", optional: true },
      ],
      output_fields: [{ name: "args", type: "object" }, { name: "headers", type: "object" }, { name: "url" }],
      execute: (connection, input) => get(input.path, input.query ?? {}),
    },

    post_json: {
      title: "POST",
      description: "Sends a JSON body with POST.",
      input_fields: [
        { name: "path", label: "Path", hint: "Starts with /, e.g. /post or /anything/orders" },
        { name: "body", label: "Body", type: "object" },
      ],
      output_fields: [{ name: "json", type: "object" }, { name: "headers", type: "object" }, { name: "url" }],
      execute: (connection, input) => post(input.path, input.body ?? {}),
    },
  },
};
