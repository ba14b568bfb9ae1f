// SendGrid connector, version 1.1.0.
// Uses the Twilio SendGrid v3 API (https://www.twilio.com/docs/sendgrid/api-reference).

// "a, b," -> [{ email: "a" }, { email: "b" }]: trimmed, empty entries dropped.
const addresses = (text) => text.split(",").map((a) => ({ email: a.trim() })).filter((r) => r.email !== "");
const given = (value) => value != null && value !== "";

export default {
  title: "SendGrid",
  description: "Send plain and HTML e-mail through SendGrid and manage marketing contacts.",
  allowed_hosts: ["api.sendgrid.com"],

  connection: {
    fields: [
      {
        name: "api_key",
        label: "API key",
        control_type: "password",
        secret: true,
        hint: "Starts with SG. Needs Mail Send and Marketing (contacts and lists)",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.api_key },
    base_uri: (connection) => "https://api.sendgrid.com/v3",
  },

  test: (connection) => get("/scopes"),

  actions: {
    send_email: {
      title: "Send e-mail",
      description: "Sends one message to one or more recipients. SendGrid queues it and answers 202 Accepted.",
      input_fields: [
        { name: "to", label: "To", hint: "One address or several separated by commas" },
        { name: "cc", label: "Cc", optional: true, hint: "Addresses separated by commas" },
        { name: "from_email", label: "From address", control_type: "email", hint: "A verified sender or an address on an authenticated domain" },
        { name: "from_name", label: "From name", optional: true },
        { name: "subject", label: "Subject" },
        { name: "text", label: "Plain-text body", control_type: "text-area" },
        { name: "html", label: "HTML body", control_type: "text-area", optional: true },
      ],
      output_fields: [
        { name: "status" },
        { name: "recipients", type: "integer" },
      ],
      execute: (connection, input) => {
        const to = addresses(input.to);
        const personalization = { to, ...(given(input.cc) && { cc: addresses(input.cc) }) };
        const from = { email: input.from_email, ...(given(input.from_name) && { name: input.from_name }) };
        const content = [
          { type: "text/plain", value: input.text },
          ...(given(input.html) ? [{ type: "text/html", value: input.html }] : []),
        ];
        const message = {
          personalizations: [personalization],
          from,
          subject: input.subject,
          content,
        };
        post("/mail/send", message);
        return { status: "queued", recipients: to.length };
      },
    },

    add_contact: {
      title: "Add or update contact",
      description: "Upserts a Marketing Campaigns contact by e-mail, optionally into a list. SendGrid processes it as a background job.",
      input_fields: [
        { name: "email", label: "E-mail", control_type: "email" },
        { name: "first_name", label: "First name", optional: true },
        { name: "last_name", label: "Last name", optional: true },
        { name: "list_id", label: "List", control_type: "select", pick_list: "lists", optional: true },
      ],
      output_fields: [{ name: "job_id", label: "Import job ID" }],
      execute: (connection, input) => {
        const contact = {
          email: input.email,
          ...(input.first_name != null && { first_name: input.first_name }),
          ...(input.last_name != null && { last_name: input.last_name }),
        };
        const payload = { contacts: [contact], ...(given(input.list_id) && { list_ids: [input.list_id] }) };
        return put("/marketing/contacts", payload);
      },
    },
  },

  pick_lists: {
    lists: (connection) => get("/marketing/lists", { page_size: 100 }).result.map((l) => [l.name, l.id]),
  },
};
