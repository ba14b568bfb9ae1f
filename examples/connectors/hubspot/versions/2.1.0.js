// HubSpot CRM connector, version 2.1.0.
// Uses the HubSpot CRM v3 object APIs and the v4 associations API with a private app token.

// The input's filled-in properties among `keys` (empty strings count as not filled in).
const filledIn = (input, keys) =>
  Object.fromEntries(keys.filter((key) => input[key] != null && input[key] !== "").map((key) => [key, input[key]]));

export default {
  title: "HubSpot CRM",
  description: "Create, find and update HubSpot contacts, companies and deals, and react to new contacts.",
  allowed_hosts: ["api.hubapi.com"],

  connection: {
    fields: [
      {
        name: "access_token",
        label: "Private app access token",
        control_type: "password",
        secret: true,
        hint: "Starts with pat-. Scopes: crm.objects.contacts.read/write, crm.objects.companies.read/write, crm.objects.deals.read/write",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.access_token },
    base_uri: (connection) => "https://api.hubapi.com",
  },

  test: (connection) => get("/account-info/v3/details"),

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
        { name: "lifecyclestage", label: "Lifecycle stage", control_type: "select", pick_list: "lifecycle_stages", optional: true },
      ],
      output_fields: [
        { name: "id", label: "Contact ID" },
        { name: "properties", type: "object", properties: [
          { name: "email" }, { name: "firstname" }, { name: "lastname" },
          { name: "createdate", type: "date_time" }, { name: "hs_object_id" },
        ] },
        { name: "archived", type: "boolean" },
      ],
      execute: (connection, input) => post("/crm/v3/objects/contacts", {
        properties: { email: input.email, ...filledIn(input, ["firstname", "lastname", "phone", "company", "lifecyclestage"]) },
      }),
    },

    get_contact_by_email: {
      title: "Get contact by e-mail",
      description: "Finds a contact by e-mail address.",
      input_fields: [{ name: "email", label: "E-mail", control_type: "email" }],
      output_fields: [
        { name: "id", label: "Contact ID" },
        { name: "properties", type: "object", properties: [
          { name: "email" }, { name: "firstname" }, { name: "lastname" }, { name: "phone" },
          { name: "company" }, { name: "lifecyclestage" },
        ] },
      ],
      execute: (connection, input) => get(
        `/crm/v3/objects/contacts/${input.email}`,
        { idProperty: "email", properties: "email,firstname,lastname,phone,company,lifecyclestage" },
      ),
    },

    update_contact: {
      title: "Update contact",
      description: "Updates contact properties. Only the fields you fill in are changed.",
      input_fields: [
        { name: "contact_id", label: "Contact ID" },
        { name: "email", label: "E-mail", control_type: "email", optional: true },
        { name: "firstname", label: "First name", optional: true },
        { name: "lastname", label: "Last name", optional: true },
        { name: "phone", label: "Phone", optional: true },
        { name: "company", label: "Company name", optional: true },
        { name: "lifecyclestage", label: "Lifecycle stage", control_type: "select", pick_list: "lifecycle_stages", optional: true },
      ],
      output_fields: [
        { name: "id", label: "Contact ID" },
        { name: "properties", type: "object", properties: [{ name: "email" }, { name: "lastmodifieddate", type: "date_time" }] },
      ],
      execute(connection, input) {
        const properties = filledIn(input, ["email", "firstname", "lastname", "phone", "company", "lifecyclestage"]);
        if (Object.keys(properties).length === 0) throw "Nothing to update: fill in at least one property";
        return patch(`/crm/v3/objects/contacts/${input.contact_id}`, { properties });
      },
    },

    find_company_by_domain: {
      title: "Find company by domain",
      description: "Returns the first company whose domain matches exactly, or nothing.",
      input_fields: [{ name: "domain", label: "Domain", hint: "e.g. example.com" }],
      output_fields: [
        { name: "id", label: "Company ID" },
        { name: "properties", type: "object", properties: [{ name: "name" }, { name: "domain" }, { name: "industry" }] },
      ],
      execute(connection, input) {
        const r = post("/crm/v3/objects/companies/search", {
          filterGroups: [{ filters: [{ propertyName: "domain", operator: "EQ", value: input.domain }] }],
          properties: ["name", "domain", "industry"],
          limit: 1,
        });
        return r.results.length > 0 ? r.results[0] : {};
      },
    },

    associate_contact_with_company: {
      title: "Associate contact with company",
      description: "Links a contact to a company with HubSpot's default association.",
      input_fields: [
        { name: "contact_id", label: "Contact ID" },
        { name: "company_id", label: "Company ID" },
      ],
      output_fields: [
        { name: "status" },
        { name: "results", type: "array", properties: [
          { name: "from", type: "object", properties: [{ name: "id" }] },
          { name: "to", type: "object", properties: [{ name: "id" }] },
        ] },
      ],
      execute: (connection, input) => put(
        `/crm/v4/objects/contacts/${input.contact_id}/associations/default/companies/${input.company_id}`,
        undefined,
      ),
    },

    create_deal: {
      title: "Create deal",
      description: "Creates a deal in a pipeline stage, optionally associated with a contact.",
      input_fields: [
        { name: "dealname", label: "Deal name" },
        { name: "amount", label: "Amount", type: "number", optional: true },
        { name: "pipeline", label: "Pipeline ID", optional: true, hint: "default is the sales pipeline" },
        { name: "dealstage", label: "Deal stage", control_type: "select", pick_list: "deal_stages", hint: "Stage ID, e.g. appointmentscheduled" },
        { name: "closedate", label: "Close date", type: "date", optional: true },
        { name: "contact_id", label: "Contact ID", optional: true },
      ],
      output_fields: [
        { name: "id", label: "Deal ID" },
        { name: "properties", type: "object", properties: [
          { name: "dealname" }, { name: "amount" }, { name: "dealstage" }, { name: "pipeline" },
        ] },
      ],
      execute(connection, input) {
        const properties = { dealname: input.dealname, dealstage: input.dealstage, pipeline: input.pipeline ?? "default" };
        if (input.amount != null) properties.amount = `${input.amount}`;
        if (input.closedate != null) properties.closedate = input.closedate;
        const payload = { properties };
        if (input.contact_id != null) {
          // 3 is HubSpot's built-in deal-to-contact association type.
          payload.associations = [{
            to: { id: input.contact_id },
            types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 3 }],
          }];
        }
        return post("/crm/v3/objects/deals", payload);
      },
    },
  },

  triggers: {
    new_contact: {
      title: "New contact",
      description: "Fires for every contact created in HubSpot, oldest first.",
      input_fields: [],
      output_fields: [
        { name: "id", label: "Contact ID" },
        { name: "properties", type: "object", properties: [
          { name: "email" }, { name: "firstname" }, { name: "lastname" },
          { name: "createdate", type: "date_time" },
        ] },
      ],
      // The cursor is the createdate of the newest contact seen (ISO 8601).
      poll(connection, input, cursor) {
        const since = cursor ?? "1970-01-01T00:00:00Z";
        const r = post("/crm/v3/objects/contacts/search", {
          filterGroups: [{ filters: [{ propertyName: "createdate", operator: "GT", value: since }] }],
          sorts: [{ propertyName: "createdate", direction: "ASCENDING" }],
          properties: ["email", "firstname", "lastname", "createdate"],
          limit: 100,
        });
        const next = r.results.reduce((next, contact) => contact.properties.createdate, cursor);
        return { events: r.results, cursor: next ?? null };
      },
      dedup: (contact) => contact.id,
    },
  },

  methods: {
    full_name: (contact) => {
      const p = contact.properties;
      const name = [p.firstname, p.lastname].filter((part) => part != null && part !== "").join(" ");
      return name === "" ? p.email : name;
    },
  },

  object_definitions: {
    contact: {
      fields: [
        { name: "id", label: "Contact ID" },
        { name: "properties", type: "object", properties: [
          { name: "email" }, { name: "firstname" }, { name: "lastname" }, { name: "phone" },
          { name: "company" }, { name: "lifecyclestage", pick_list: "lifecycle_stages" },
          { name: "createdate", type: "date_time" }, { name: "lastmodifieddate", type: "date_time" },
          { name: "hs_object_id" },
        ] },
        { name: "archived", type: "boolean" },
      ],
    },
    company: {
      fields: [
        { name: "id", label: "Company ID" },
        { name: "properties", type: "object", properties: [
          { name: "name" }, { name: "domain" }, { name: "industry" }, { name: "city" }, { name: "country" },
        ] },
      ],
    },
  },

  pick_lists: {
    lifecycle_stages: (connection) => [
      ["Subscriber", "subscriber"], ["Lead", "lead"], ["Marketing qualified lead", "marketingqualifiedlead"],
      ["Sales qualified lead", "salesqualifiedlead"], ["Opportunity", "opportunity"], ["Customer", "customer"],
      ["Evangelist", "evangelist"], ["Other", "other"],
    ],
    deal_stages: (connection) => get("/crm/v3/pipelines/deals").results.flatMap((pipeline) =>
      pipeline.stages.map((stage) => [`${pipeline.label ?? ""} / ${stage.label ?? ""}`, stage.id])),
  },
};
