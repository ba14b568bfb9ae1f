// SendGrid connector, version 1.2.0.
// Uses the Twilio SendGrid v3 API (https://www.twilio.com/docs/sendgrid/api-reference).

// "a, b," -> [{ email: "a" }, { email: "b" }]: trimmed, empty entries dropped.
const addresses = (text) => text.split(",").map((a) => ({ email: a.trim() })).filter((r) => r.email !== "");
const given = (value) => value != null && value !== "";

export default {
  title: "SendGrid",
  description: "Send plain, HTML and dynamic-template e-mail through SendGrid, manage marketing contacts, and watch bounces.",
  allowed_hosts: ["api.sendgrid.com"],

  connection: {
    fields: [
      {
        name: "api_key",
        label: "API key",
        control_type: "password",
        secret: true,
        hint: "Starts with SG. Needs Mail Send, Marketing (contacts and lists), Templates (read) and Suppressions (read)",
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
        { name: "reply_to", label: "Reply-to", control_type: "email", optional: true },
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
          ...(given(input.reply_to) && { reply_to: { email: input.reply_to } }),
        };
        post("/mail/send", message);
        return { status: "queued", recipients: to.length };
      },
    },

    send_template_email: {
      title: "Send dynamic template e-mail",
      description: "Sends a message rendered from a dynamic template with your data (Handlebars).",
      input_fields: [
        { name: "to", label: "To", control_type: "email" },
        { name: "from_email", label: "From address", control_type: "email" },
        { name: "from_name", label: "From name", optional: true },
        { name: "template_id", label: "Template", control_type: "select", pick_list: "templates", hint: "A dynamic template ID, d-…" },
        { name: "dynamic_template_data", label: "Template data", type: "object", optional: true, hint: "Values for the template's {{placeholders}}" },
      ],
      output_fields: [{ name: "status" }, { name: "template_id" }],
      execute: (connection, input) => {
        const personalization = {
          to: [{ email: input.to }],
          ...(input.dynamic_template_data != null && { dynamic_template_data: input.dynamic_template_data }),
        };
        const from = { email: input.from_email, ...(given(input.from_name) && { name: input.from_name }) };
        post("/mail/send", { personalizations: [personalization], from, template_id: input.template_id });
        return { status: "queued", template_id: input.template_id };
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

  triggers: {
    new_bounce: {
      title: "New bounce",
      description: "Fires for each address added to the bounce suppression list, oldest first.",
      input_fields: [],
      output_fields: [
        { name: "email" },
        { name: "reason" },
        { name: "status", hint: "SMTP enhanced status code, e.g. 5.1.1" },
        { name: "created", type: "integer", hint: "Unix time" },
      ],
      // The cursor is the `created` time (Unix seconds) of the newest bounce seen.
      poll: (connection, input, cursor) => {
        const bounces = get("/suppression/bounces", { limit: 500, ...(cursor != null && { start_time: cursor }) });
        bounces.sort((a, b) => a.created - b.created);
        let next = cursor;
        for (const bounce of bounces) {
          if (next == null || bounce.created > next) next = bounce.created;
        }
        return { events: bounces, cursor: next ?? null };
      },
      dedup: (bounce) => `${bounce.email}/${bounce.created}`,
    },
  },

  pick_lists: {
    lists: (connection) => get("/marketing/lists", { page_size: 100 }).result.map((l) => [l.name, l.id]),
    templates: (connection) => get("/templates", { generations: "dynamic", page_size: 100 }).result.map((t) => [t.name, t.id]),
  },
};
