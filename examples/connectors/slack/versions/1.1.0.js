// Slack connector, version 1.1.0.
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
  description: "Post and update messages in Slack channels.",
  allowed_hosts: ["slack.com"],

  connection: {
    fields: [
      {
        name: "bot_token",
        label: "Bot token",
        control_type: "password",
        secret: true,
        hint: "Starts with xoxb-. Scopes: chat:write, channels:read",
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
        { name: "channel", label: "Channel", control_type: "select", pick_list: "channels", hint: "#channel-name or a channel ID" },
        { name: "text", label: "Text", control_type: "text-area", hint: "Slack mrkdwn" },
        { name: "thread_ts", label: "Reply to thread", optional: true, hint: "The ts of the parent message" },
      ],
      output_fields: [
        { name: "channel" },
        { name: "ts", label: "Message timestamp" },
        { name: "message", type: "object", properties: [{ name: "text" }, { name: "user" }, { name: "bot_id" }] },
      ],
      execute: (connection, input) => {
        const payload = { channel: input.channel, text: input.text };
        if (input.thread_ts != null) payload.thread_ts = input.thread_ts;
        return checked(post("/chat.postMessage", payload));
      },
    },

    update_message: {
      title: "Update message",
      description: "Replaces the text of a message the bot posted earlier.",
      input_fields: [
        { name: "channel", label: "Channel", control_type: "select", pick_list: "channels", hint: "Channel ID of the message" },
        { name: "ts", label: "Message timestamp" },
        { name: "text", label: "New text", control_type: "text-area" },
      ],
      output_fields: [{ name: "channel" }, { name: "ts" }, { name: "text" }],
      execute: (connection, input) =>
        checked(post("/chat.update", { channel: input.channel, ts: input.ts, text: input.text })),
    },
  },

  pick_lists: {
    channels: (connection) => {
      const r = checked(get("/conversations.list", { types: "public_channel,private_channel", exclude_archived: true, limit: 200 }));
      return r.channels.map((c) => [`#${c.name}`, c.id]);
    },
  },
};
