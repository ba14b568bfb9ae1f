// GitHub Issues connector, version 1.2.0.
// Talks to the GitHub REST API (https://docs.github.com/en/rest/issues).

const repo = { name: "repo", label: "Repository", hint: "owner/name" };
const number = { name: "number", label: "Issue number", type: "integer" };

export default {
  title: "GitHub Issues",
  description: "Create, close, comment on and watch issues in GitHub repositories.",
  allowed_hosts: ["api.github.com"],

  connection: {
    fields: [
      {
        name: "token",
        label: "Personal access token",
        control_type: "password",
        secret: true,
        hint: "Needs the repo scope (classic token) or Issues read/write (fine-grained token)",
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
        { name: "labels", label: "Labels", type: "array", optional: true, hint: "Label names; unknown labels are created" },
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
        if (input.labels != null) payload.labels = input.labels;
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

    close_issue: {
      title: "Close issue",
      description: "Closes an issue as completed or not planned.",
      input_fields: [
        repo,
        number,
        { name: "state_reason", label: "Reason", control_type: "select", pick_list: "state_reasons", optional: true, hint: "completed (default) or not_planned" },
      ],
      output_fields: [
        { name: "number", type: "integer" },
        { name: "state" },
        { name: "state_reason" },
        { name: "closed_at", type: "date_time" },
      ],
      execute: (connection, input) => patch(
        `/repos/${input.repo}/issues/${input.number}`,
        { state: "closed", state_reason: input.state_reason ?? "completed" },
      ),
    },

    add_comment: {
      title: "Add comment",
      description: "Posts a comment on an issue or pull request.",
      input_fields: [
        repo,
        number,
        { name: "body", label: "Comment", control_type: "text-area", hint: "Markdown" },
      ],
      output_fields: [
        { name: "id", type: "integer" },
        { name: "html_url", label: "URL" },
        { name: "body" },
        { name: "created_at", type: "date_time" },
      ],
      execute: (connection, input) => post(`/repos/${input.repo}/issues/${input.number}/comments`, { body: input.body }),
    },
  },

  triggers: {
    new_issue: {
      title: "New issue",
      description: "Fires once for every issue opened in a repository. Pull requests are skipped.",
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
        const fresh = page.filter((issue) => issue.number > last && !("pull_request" in issue)).reverse();
        const next = fresh.reduce((highest, issue) => (issue.number > highest ? issue.number : highest), last);
        return { events: fresh, cursor: next };
      },
      dedup: (issue) => `${issue.id}`,
    },
  },

  methods: {
    format_issue: (issue) => `#${issue.number} ${issue.title}`,
  },

  pick_lists: {
    state_reasons: (connection) => [["Completed", "completed"], ["Not planned", "not_planned"]],
  },
};
