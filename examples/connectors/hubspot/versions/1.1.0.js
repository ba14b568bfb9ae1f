// HubSpot CRM connector, version 1.1.0.
// Uses the legacy HubSpot Contacts API (v1) with a private app token.
// v1 returns properties as { name: { value: ... } }; outputs are flattened
// to { vid, profile_url, email, firstname, ... } for easy mapping.

// A v1 contact's properties as { name: value }.
const flatProperties = (properties) =>
  Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, property.value ?? null]));

// The input's filled-in properties among `keys`, as v1's [{ property, value }] (empty strings count as not filled in).
const filledIn = (input, keys) =>
  keys.filter((key) => input[key] != null && input[key] !== "").map((key) => ({ property: key, value: input[key] }));

const flatContact = (r) => ({ vid: r.vid ?? null, profile_url: r["profile-url"] ?? null, ...flatProperties(r.properties) });

export default {
  title: "HubSpot CRM",
  description: "Create, look up and update HubSpot contacts, and react to new contacts.",
  allowed_hosts: ["api.hubapi.com"],

  connection: {
    fields: [
      {
        name: "access_token",
        label: "Private app access token",
        control_type: "password",
        secret: true,
        hint: "Starts with pat-. Scopes: crm.objects.contacts.read, crm.objects.contacts.write",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.access_token },
    base_uri: (connection) => "https://api.hubapi.com",
  },

  test: (connection) => get("/integrations/v1/me"),

  actions: {
    create_contact: {
      title: "Create contact",
      description: "Creates a contact. HubSpot rejects a second contact with the same e-mail (409 Conflict).",
      input_fields: [
        { name: "email", label: "E-mail", control_type: "email" },
        { name: "firstname", label: "First name", optional: true },
        { name: "lastname", label: "Last name", optional: true },
        { name: "phone", label: "Phone", optional: true },
        { name: "company", label: "Company name", optional: true },
      ],
      output_fields: [
        { name: "vid", label: "Contact ID", type: "integer" },
        { name: "profile_url", label: "Profile URL" },
        { name: "email" },
        { name: "firstname" },
        { name: "lastname" },
      ],
      execute: (connection, input) => flatContact(post("/contacts/v1/contact", {
        properties: [{ property: "email", value: input.email }, ...filledIn(input, ["firstname", "lastname", "phone", "company"])],
      })),
    },

    get_contact_by_email: {
      title: "Get contact by e-mail",
      description: "Finds a contact by e-mail address.",
      input_fields: [{ name: "email", label: "E-mail", control_type: "email" }],
      output_fields: [
        { name: "vid", label: "Contact ID", type: "integer" },
        { name: "profile_url", label: "Profile URL" },
        { name: "email" },
        { name: "firstname" },
        { name: "lastname" },
        { name: "phone" },
        { name: "company" },
      ],
      execute: (connection, input) => flatContact(get(`/contacts/v1/contact/email/${input.email}/profile`)),
    },

    update_contact: {
      title: "Update contact",
      description: "Updates contact properties. Only the fields you fill in are changed.",
      input_fields: [
        { name: "vid", label: "Contact ID", type: "integer" },
        { name: "email", label: "E-mail", control_type: "email", optional: true },
        { name: "firstname", label: "First name", optional: true },
        { name: "lastname", label: "Last name", optional: true },
        { name: "phone", label: "Phone", optional: true },
        { name: "company", label: "Company name", optional: true },
      ],
      output_fields: [{ name: "vid", label: "Contact ID", type: "integer" }],
      execute(connection, input) {
        const properties = filledIn(input, ["email", "firstname", "lastname", "phone", "company"]);
        // HubSpot answers 204 No Content.
        post(`/contacts/v1/contact/vid/${input.vid}/profile`, { properties });
        return { vid: input.vid };
      },
    },
  },

  triggers: {
    new_contact: {
      title: "New contact",
      description: "Fires for every contact created in HubSpot, oldest first.",
      input_fields: [],
      output_fields: [
        { name: "vid", label: "Contact ID", type: "integer" },
        { name: "added_at", label: "Added at (ms since epoch)", type: "integer" },
        { name: "email" },
        { name: "firstname" },
        { name: "lastname" },
      ],
      // The cursor is the addedAt (milliseconds) of the newest contact seen.
      poll(connection, input, cursor) {
        const last = cursor ?? 0;
        const r = get("/contacts/v1/lists/all/contacts/recent", { count: 100 });
        const fresh = r.contacts.filter((contact) => contact.addedAt > last);
        const events = fresh.map((contact) => ({ vid: contact.vid ?? null, added_at: contact.addedAt, ...flatProperties(contact.properties) }));
        const next = fresh.reduce((next, contact) => (contact.addedAt > next ? contact.addedAt : next), last);
        return { events: events.reverse(), cursor: next };
      },
      dedup: (contact) => `${contact.vid ?? ""}`,
    },
  },

  methods: {
    full_name: (contact) => {
      const name = [contact.firstname, contact.lastname].filter((part) => part != null && part !== "").join(" ");
      return name === "" ? contact.email : name;
    },
  },
};
