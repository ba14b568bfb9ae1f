// GitHub Issues connector, version 1.0.0.
// Talks to the GitHub REST API (https://docs.github.com/en/rest/issues).

const repo = { name: "repo", label: "Repository", hint: "owner/name" };
const number = { name: "number", label: "Issue number", type: "integer" };

export default {
  title: "GitHub Issues",
  description: "Create and watch issues in GitHub repositories.",
  allowed_hosts: ["api.github.com"],

  connection: {
    fields: [
      {
        name: "token",
        label: "Personal access token",
        control_type: "password",
        secret: true,
        hint: "Needs the repo scope",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.token },
    base_uri: (connection) => "https://api.github.com",
  },

  test: (connection) => get("/user"),

  actions: {
    create_issue: {
      title: "Create issue",
      description: "Opens a new issue in a repository.",
      input_fields: [
        { ...repo, hint: "owner/name, e.g. octo-labs/patchbay" },
        { name: "title", label: "Title" },
        { name: "body", label: "Body", control_type: "text-area", optional: true, hint: "Markdown" },
      ],
      output_fields: [
        { name: "id", type: "integer" },
        { name: "number", type: "integer" },
        { name: "title" },
        { name: "state" },
        { name: "html_url", label: "URL" },
        { name: "created_at", type: "date_time" },
      ],
      execute: (connection, input) => {
        const payload = { title: input.title };
        if (input.body != null) payload.body = input.body;
        return post(`/repos/${input.repo}/issues`, payload);
      },
    },

    get_issue: {
      title: "Get issue",
      description: "Fetches one issue by its number.",
      input_fields: [repo, number],
      output_fields: [
        { name: "number", type: "integer" },
        { name: "title" },
        { name: "body" },
        { name: "state" },
        { name: "html_url", label: "URL" },
        { name: "user", type: "object", properties: [{ name: "login" }] },
        { name: "labels", type: "array", properties: [{ name: "name" }, { name: "color" }] },
        { name: "comments", type: "integer" },
      ],
      execute: (connection, input) => get(`/repos/${input.repo}/issues/${input.number}`),
    },
  },

  triggers: {
    new_issue: {
      title: "New issue",
      description: "Fires once for every issue opened in a repository.",
      input_fields: [repo],
      output_fields: [
        { name: "id", type: "integer" },
        { name: "number", type: "integer" },
        { name: "title" },
        { name: "body" },
        { name: "html_url", label: "URL" },
        { name: "user", type: "object", properties: [{ name: "login" }] },
        { name: "created_at", type: "date_time" },
      ],
      // The cursor is the highest issue number seen so far.
      poll: (connection, input, cursor) => {
        const last = cursor ?? 0;
        const page = get(`/repos/${input.repo}/issues`, { state: "all", sort: "created", direction: "desc", per_page: 50 });
        const fresh = page.filter((issue) => issue.number > last).reverse();
        const next = fresh.reduce((highest, issue) => (issue.number > highest ? issue.number : highest), last);
        return { events: fresh, cursor: next };
      },
      dedup: (issue) => `${issue.id}`,
    },
  },

  methods: {
    format_issue: (issue) => `#${issue.number} ${issue.title}`,
  },
};
