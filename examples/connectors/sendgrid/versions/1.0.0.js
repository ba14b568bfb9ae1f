// SendGrid connector, version 1.0.0.
// Uses the Twilio SendGrid v3 API (https://www.twilio.com/docs/sendgrid/api-reference).
export default {
  title: "SendGrid",
  description: "Send e-mail through SendGrid.",
  allowed_hosts: ["api.sendgrid.com"],

  connection: {
    fields: [
      {
        name: "api_key",
        label: "API key",
        control_type: "password",
        secret: true,
        hint: "Starts with SG. Needs the Mail Send permission",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.api_key },
    base_uri: (connection) => "https://api.sendgrid.com/v3",
  },

  test: (connection) => get("/scopes"),

  actions: {
    send_email: {
      title: "Send e-mail",
      description: "Sends a plain-text message. SendGrid queues it and answers 202 Accepted.",
      input_fields: [
        { name: "to", label: "To", control_type: "email" },
        { name: "from_email", label: "From address", control_type: "email", hint: "A verified sender or an address on an authenticated domain" },
        { name: "from_name", label: "From name", optional: true },
        { name: "subject", label: "Subject" },
        { name: "text", label: "Body", control_type: "text-area" },
      ],
      output_fields: [{ name: "status" }],
      execute: (connection, input) => {
        post("/mail/send", {
          personalizations: [{ to: [{ email: input.to }] }],
          // Without a from name this sends `"name": null`, as 1.0.0 always did (fixed in 1.1.0).
          from: { email: input.from_email, name: input.from_name ?? null },
          subject: input.subject,
          content: [{ type: "text/plain", value: input.text }],
        });
        return { status: "queued" };
      },
    },
  },
};
