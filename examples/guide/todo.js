// @ts-check
/// <reference path="../../sdk/patchbay-connector.d.ts" />
// Todo API connector: the worked example of docs/sdk.md.
// The API lives at https://api.todo.example/v1 and takes an API key in the X-Api-Key header.

// A todo as the API returns it: shared by several outputs and published as an object definition.
/** @type {import("../../sdk/patchbay-connector").Field[]} */
const todoFields = [
  { name: "id", type: "integer" },
  { name: "title" },
  { name: "done", type: "boolean" },
  { name: "priority", hint: "low, normal or high" },
  { name: "due_on", label: "Due on", type: "date" },
  { name: "tags", type: "array" },
  { name: "created_at", type: "date_time" },
];

// The path of one todo.
const todoPath = (id) => `/todos/${id}`;

// One line about a todo; also listed among the connector's methods.
const summary = (todo) => `[${todo.done ? "x" : " "}] #${todo.id} ${todo.title}`;

/** @type {import("../../sdk/patchbay-connector").Connector} */
export default {
  title: "Todo API",
  description: "Create, complete and watch todos in a Todo API account.",
  allowed_hosts: ["api.todo.example"],

  connection: {
    fields: [
      { name: "api_key", label: "API key", control_type: "password", hint: "Settings, then API keys" },
    ],
    authorization: {
      type: "api_key",
      header: "X-Api-Key",
      value: (connection) => connection.api_key,
    },
    base_uri: (connection) => "https://api.todo.example/v1",
  },

  test: (connection) => get("/me"),

  actions: {
    create_todo: {
      title: "Create todo",
      description: "Adds a todo.",
      input_fields: [
        { name: "title" },
        { name: "priority", control_type: "select", pick_list: "priorities", optional: true },
        { name: "due_on", label: "Due on", type: "date", optional: true, hint: "YYYY-MM-DD" },
        { name: "tags", type: "array", optional: true },
      ],
      output_fields: [...todoFields, { name: "summary" }],
      execute: (connection, input) => {
        const todo = post("/todos", {
          title: input.title,
          priority: input.priority ?? "normal",
          // Optional fields the user left out are `undefined`: send only those that are set.
          ...(input.due_on != null && { due_on: input.due_on }),
          ...(input.tags != null && { tags: input.tags }),
        });
        console.log(`created todo ${todo.id}`);
        return { ...todo, summary: summary(todo) };
      },
    },

    get_todo: {
      title: "Get todo",
      input_fields: [{ name: "id", type: "integer" }],
      output_fields: todoFields,
      execute: (connection, input) => get(todoPath(input.id)),
    },

    complete_todo: {
      title: "Complete todo",
      input_fields: [{ name: "id", type: "integer" }],
      output_fields: todoFields,
      execute: (connection, input) => patch(todoPath(input.id), { done: true }),
    },

    delete_todo: {
      title: "Delete todo",
      input_fields: [{ name: "id", type: "integer" }],
      output_fields: [{ name: "id", type: "integer" }, { name: "deleted", type: "boolean" }],
      execute: (connection, input) => {
        // `delete` is a JavaScript operator: the DELETE helper is called `del`.
        del(todoPath(input.id));
        return { id: input.id, deleted: true };
      },
    },

    todos_tagged: {
      title: "Todos with a tag",
      input_fields: [{ name: "tag", hint: "e.g. home/garden" }],
      output_fields: [{ name: "todos", type: "array", properties: todoFields }, { name: "count", type: "integer" }],
      execute: (connection, input) => {
        // A tag may hold a slash: encode it into one path segment.
        const page = get(`/tags/${encodeURIComponent(input.tag)}/todos`, { done: false });
        return { todos: page.todos, count: page.todos.length };
      },
    },
  },

  triggers: {
    new_todo: {
      title: "New todo",
      description: "Fires once for every new todo, oldest first.",
      input_fields: [{ name: "tag", optional: true, hint: "Only todos with this tag" }],
      output_fields: todoFields,
      // The cursor is the highest todo id seen so far; the API lists newer ones with since_id.
      poll: (connection, input, cursor) => {
        const last = cursor ?? 0;
        const page = get("/todos", { since_id: last, tag: input.tag });
        const fresh = page.todos.filter((todo) => todo.id > last);
        const next = Math.max(last, ...fresh.map((todo) => todo.id));
        return { events: fresh, cursor: next };
      },
      // Two events with the same key in one poll are one event.
      dedup: (todo) => `${todo.id}`,
    },
  },

  methods: {
    summary,
  },

  pick_lists: {
    priorities: (connection) => [["Low", "low"], ["Normal", "normal"], ["High", "high"]],
  },

  object_definitions: {
    todo: { fields: todoFields },
  },
};
