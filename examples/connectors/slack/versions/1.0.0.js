// Slack connector, version 1.0.0.
// Uses the Slack Web API (https://api.slack.com/methods) with a bot token.
export default {
  title: "Slack",
  description: "Post messages to Slack channels.",
  allowed_hosts: ["slack.com"],

  connection: {
    fields: [
      {
        name: "bot_token",
        label: "Bot token",
        control_type: "password",
        secret: true,
        hint: "Starts with xoxb-. Scope: chat:write",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.bot_token },
    base_uri: (connection) => "https://slack.com/api",
  },

  test: (connection) => post("/auth.test", {}),

  actions: {
    post_message: {
      title: "Post message",
      description: "Sends a message to a channel.",
      input_fields: [
        { name: "channel", label: "Channel", hint: "#channel-name or a channel ID" },
        { name: "text", label: "Text", control_type: "text-area", hint: "Slack mrkdwn" },
      ],
      output_fields: [
        { name: "channel" },
        { name: "ts", label: "Message timestamp" },
      ],
      execute: (connection, input) => post("/chat.postMessage", { channel: input.channel, text: input.text }),
    },
  },
};
