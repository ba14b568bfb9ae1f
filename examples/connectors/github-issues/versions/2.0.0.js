// GitHub Issues connector, version 2.0.0.
// Talks to the GitHub REST API (https://docs.github.com/en/rest/issues).

// The shape of an issue, shared by several outputs and published as an object definition.
const issueFields = [
  { name: "id", type: "integer" },
  { name: "number", type: "integer" },
  { name: "title" },
  { name: "body" },
  { name: "state", hint: "open or closed" },
  { name: "state_reason" },
  { name: "html_url", label: "URL" },
  { name: "user", type: "object", properties: [{ name: "login" }] },
  { name: "labels", type: "array", properties: [{ name: "name" }, { name: "color" }] },
  { name: "assignees", type: "array", properties: [{ name: "login" }] },
  { name: "comments", type: "integer" },
  { name: "created_at", type: "date_time" },
  { name: "updated_at", type: "date_time" },
  { name: "closed_at", type: "date_time" },
];

const owner = { name: "owner", label: "Owner" };
const repository = { name: "repository", label: "Repository" };
const number = { name: "number", label: "Issue number", type: "integer" };

export default {
  title: "GitHub Issues",
  description: "Create, update, comment on and watch issues in GitHub repositories.",
  allowed_hosts: ["api.github.com"],

  connection: {
    fields: [
      {
        name: "token",
        label: "Personal access token",
        control_type: "password",
        secret: true,
        hint: "A fine-grained token with Issues read/write access, or a classic token with the repo scope",
      },
    ],
    authorization: {
      type: "custom",
      headers: (connection) => ({
        "Authorization": `Bearer ${connection.token}`,
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
      }),
    },
    base_uri: (connection) => "https://api.github.com",
  },

  test: (connection) => get("/user"),

  actions: {
    create_issue: {
      title: "Create issue",
      description: "Opens a new issue in a repository.",
      input_fields: [
        { ...owner, hint: "User or organization, e.g. octo-labs" },
        { ...repository, hint: "Repository name without the owner, e.g. patchbay" },
        { name: "title", label: "Title" },
        { name: "body", label: "Body", control_type: "text-area", optional: true, hint: "Markdown" },
        { name: "labels", label: "Labels", type: "array", optional: true, hint: "Label names; unknown labels are created" },
        { name: "assignees", label: "Assignees", type: "array", optional: true, hint: "GitHub logins" },
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
        if (input.assignees != null) payload.assignees = input.assignees;
        return post(`/repos/${input.owner}/${input.repository}/issues`, payload);
      },
    },

    get_issue: {
      title: "Get issue",
      description: "Fetches one issue by its number.",
      input_fields: [owner, repository, number],
      output_fields: issueFields,
      execute: (connection, input) => get(`/repos/${input.owner}/${input.repository}/issues/${input.number}`),
    },

    update_issue: {
      title: "Update issue",
      description: "Changes the title, body, labels or state of an issue. Empty fields are left as they are.",
      input_fields: [
        owner,
        repository,
        number,
        { name: "title", label: "Title", optional: true },
        { name: "body", label: "Body", control_type: "text-area", optional: true },
        { name: "state", label: "State", control_type: "select", pick_list: "states", optional: true, hint: "open or closed" },
        { name: "state_reason", label: "Reason", control_type: "select", pick_list: "state_reasons", optional: true, hint: "completed, not_planned or reopened" },
        { name: "labels", label: "Labels", type: "array", optional: true, hint: "Replaces all labels" },
      ],
      output_fields: [
        { name: "number", type: "integer" },
        { name: "state" },
        { name: "state_reason" },
        { name: "html_url", label: "URL" },
        { name: "updated_at", type: "date_time" },
      ],
      execute: (connection, input) => {
        const changes = Object.fromEntries(
          ["title", "body", "state", "state_reason", "labels"]
            .filter((key) => input[key] != null)
            .map((key) => [key, input[key]]),
        );
        return patch(`/repos/${input.owner}/${input.repository}/issues/${input.number}`, changes);
      },
    },

    add_comment: {
      title: "Add comment",
      description: "Posts a comment on an issue or pull request.",
      input_fields: [
        owner,
        repository,
        number,
        { name: "body", label: "Comment", control_type: "text-area", hint: "Markdown" },
      ],
      output_fields: [
        { name: "id", type: "integer" },
        { name: "html_url", label: "URL" },
        { name: "body" },
        { name: "created_at", type: "date_time" },
      ],
      execute: (connection, input) => post(
        `/repos/${input.owner}/${input.repository}/issues/${input.number}/comments`,
        { body: input.body },
      ),
    },
  },

  triggers: {
    new_issue: {
      title: "New issue",
      description: "Fires once for every issue opened in a repository. Pull requests are skipped.",
      input_fields: [
        owner,
        repository,
        { name: "labels", label: "Only with labels", optional: true, hint: "Comma-separated label names, e.g. bug,urgent" },
      ],
      output_fields: issueFields,
      // The cursor is the highest issue number seen so far.
      poll: (connection, input, cursor) => {
        const last = cursor ?? 0;
        const params = { state: "all", sort: "created", direction: "desc", per_page: 50 };
        if (input.labels != null) params.labels = input.labels;
        const page = get(`/repos/${input.owner}/${input.repository}/issues`, params);
        const fresh = page.filter((issue) => issue.number > last && !("pull_request" in issue)).reverse();
        const next = fresh.reduce((highest, issue) => (issue.number > highest ? issue.number : highest), last);
        return { events: fresh, cursor: next };
      },
      dedup: (issue) => `${issue.id}`,
    },

    new_comment: {
      title: "New comment",
      description: "Fires for every new comment on any issue or pull request in a repository.",
      input_fields: [owner, repository],
      output_fields: [
        { name: "id", type: "integer" },
        { name: "body" },
        { name: "issue_url" },
        { name: "html_url", label: "URL" },
        { name: "user", type: "object", properties: [{ name: "login" }] },
        { name: "created_at", type: "date_time" },
      ],
      // The cursor is the created_at timestamp of the newest comment seen.
      poll: (connection, input, cursor) => {
        const params = { sort: "created", direction: "asc", per_page: 100 };
        if (cursor != null) params.since = cursor;
        const comments = get(`/repos/${input.owner}/${input.repository}/issues/comments`, params);
        const fresh = cursor == null ? comments : comments.filter((c) => c.created_at > cursor);
        const next = fresh.length > 0 ? fresh[fresh.length - 1].created_at : cursor;
        return { events: fresh, cursor: next };
      },
      dedup: (comment) => `${comment.id}`,
    },
  },

  methods: {
    format_issue: (issue) => `#${issue.number} ${issue.title}`,
    issue_reference: (owner, repository, number) => `${owner}/${repository}#${number}`,
  },

  object_definitions: {
    issue: { fields: issueFields },
  },

  pick_lists: {
    states: (connection) => [["Open", "open"], ["Closed", "closed"]],
    state_reasons: (connection) => [["Completed", "completed"], ["Not planned", "not_planned"], ["Reopened", "reopened"]],
  },
};
