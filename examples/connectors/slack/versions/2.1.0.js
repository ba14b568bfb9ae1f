// Slack connector, version 2.1.0.
// Uses the Slack Web API (https://api.slack.com/methods) with a bot token.
// Slack answers HTTP 200 even for failures and reports them as `ok: false`,
// so every action checks `ok` and fails the step with Slack's error code.

// Slack's answer when it is `ok`; otherwise the step fails with Slack's error code.
const checked = (r) => {
  if (!r.ok) throw `Slack error: ${r.error}`;
  return r;
};

export default {
  title: "Slack",
  description: "Post, update and react to messages in Slack channels, look up people, and react to new messages.",
  allowed_hosts: ["slack.com"],

  connection: {
    fields: [
      {
        name: "bot_token",
        label: "Bot token",
        control_type: "password",
        secret: true,
        hint: "Starts with xoxb-. Scopes: chat:write, channels:read, channels:history, reactions:write, users:read.email",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.bot_token },
    base_uri: (connection) => "https://slack.com/api",
  },

  test: (connection) => checked(post("/auth.test", {})),

  actions: {
    post_message: {
      title: "Post message",
      description: "Sends a message to a channel, or as a reply in a thread.",
      input_fields: [
        { name: "channel_id", label: "Channel", control_type: "select", pick_list: "channels", hint: "Channel ID such as C0123456789 (the bot must be a member)" },
        { name: "text", label: "Text", control_type: "text-area", hint: "Slack mrkdwn; also the notification text when blocks are given" },
        { name: "thread_ts", label: "Reply to thread", optional: true, hint: "The ts of the parent message" },
        { name: "blocks", label: "Blocks", type: "array", optional: true, hint: "Block Kit blocks" },
        { name: "unfurl_links", label: "Unfurl links", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [
        { name: "channel" },
        { name: "ts", label: "Message timestamp" },
        { name: "message", type: "object", properties: [{ name: "text" }, { name: "user" }, { name: "bot_id" }] },
      ],
      execute: (connection, input) => {
        const payload = { channel: input.channel_id, text: input.text };
        if (input.thread_ts != null) payload.thread_ts = input.thread_ts;
        if (input.blocks != null) payload.blocks = input.blocks;
        if (input.unfurl_links != null) payload.unfurl_links = input.unfurl_links;
        return checked(post("/chat.postMessage", payload));
      },
    },

    update_message: {
      title: "Update message",
      description: "Replaces the text of a message the bot posted earlier.",
      input_fields: [
        { name: "channel_id", label: "Channel", control_type: "select", pick_list: "channels" },
        { name: "ts", label: "Message timestamp" },
        { name: "text", label: "New text", control_type: "text-area" },
      ],
      output_fields: [{ name: "channel" }, { name: "ts" }, { name: "text" }],
      execute: (connection, input) =>
        checked(post("/chat.update", { channel: input.channel_id, ts: input.ts, text: input.text })),
    },

    add_reaction: {
      title: "Add reaction",
      description: "Adds an emoji reaction to a message.",
      input_fields: [
        { name: "channel_id", label: "Channel", control_type: "select", pick_list: "channels" },
        { name: "timestamp", label: "Message timestamp" },
        { name: "name", label: "Emoji", hint: "Without colons, e.g. white_check_mark" },
      ],
      output_fields: [{ name: "ok", type: "boolean" }],
      execute: (connection, input) => {
        let emoji = input.name;
        const chars = [...emoji];
        if (emoji.startsWith(":") && emoji.endsWith(":") && chars.length > 2) {
          emoji = chars.slice(1, -1).join("");
        }
        const r = post("/reactions.add", { channel: input.channel_id, timestamp: input.timestamp, name: emoji });
        if (!r.ok && r.error !== "already_reacted") throw `Slack error: ${r.error}`;
        return { ok: true };
      },
    },

    find_user_by_email: {
      title: "Find user by email",
      description: "Looks up a workspace member by e-mail address.",
      input_fields: [{ name: "email", label: "E-mail", control_type: "email" }],
      output_fields: [
        { name: "id" },
        { name: "name" },
        { name: "real_name" },
        { name: "tz", label: "Time zone" },
        { name: "profile", type: "object", properties: [{ name: "email" }, { name: "display_name" }] },
      ],
      execute: (connection, input) => checked(get("/users.lookupByEmail", { email: input.email })).user,
    },
  },

  triggers: {
    new_message: {
      title: "New message in channel",
      description: "Fires for each new message posted by a person in a channel. Joins, edits and bot messages are skipped.",
      input_fields: [{ name: "channel_id", label: "Channel", control_type: "select", pick_list: "channels" }],
      output_fields: [
        { name: "ts", label: "Message timestamp" },
        { name: "user" },
        { name: "text" },
        { name: "thread_ts" },
        { name: "channel" },
      ],
      // The cursor is the ts of the newest message seen; Slack returns messages newest first.
      poll: (connection, input, cursor) => {
        const params = { channel: input.channel_id, limit: 100 };
        if (cursor != null) params.oldest = cursor;
        const r = checked(get("/conversations.history", params));
        const next = r.messages.length > 0 ? r.messages[0].ts : cursor;
        const events = r.messages
          .filter((m) => m.type === "message" && m.subtype == null && m.bot_id == null && (cursor == null || m.ts > cursor))
          .reverse();
        return { events: events.map((m) => ({ ...m, channel: input.channel_id })), cursor: next };
      },
      dedup: (message) => `${message.channel}/${message.ts}`,
    },
  },

  methods: {
    message_link: (team_domain, channel_id, ts) =>
      `https://${team_domain}.slack.com/archives/${channel_id}/p${ts.replaceAll(".", "")}`,
  },

  pick_lists: {
    channels: (connection) => {
      const r = checked(get("/conversations.list", { types: "public_channel,private_channel", exclude_archived: true, limit: 200 }));
      return r.channels.map((c) => [`#${c.name}`, c.id]);
    },
  },
};
