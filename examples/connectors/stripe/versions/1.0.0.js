// Stripe connector, version 1.0.0.
// Uses the Stripe API (https://docs.stripe.com/api) with a secret or restricted key.

// The keys of `input` that are set (not missing, not null), as an object.
const present = (input, keys) => Object.fromEntries(keys.filter((key) => input[key] != null).map((key) => [key, input[key]]));

// Oldest first, and the newest `created` time among them (or the old cursor).
const oldestFirst = (items, cursor) => {
  const ordered = [...items].reverse();
  let next = cursor;
  for (const item of ordered) {
    if (next == null || item.created > next) next = item.created;
  }
  return { ordered, next: next ?? null };
};

export default {
  title: "Stripe",
  description: "Manage Stripe customers and react to new charges.",
  allowed_hosts: ["api.stripe.com"],

  connection: {
    fields: [
      {
        name: "secret_key",
        label: "Secret key",
        control_type: "password",
        secret: true,
        hint: "sk_live_… or sk_test_…, or a restricted key (rk_…) with Customers and Charges access",
      },
    ],
    // Stripe takes the key as the basic-auth user name with an empty password.
    authorization: {
      type: "basic",
      username: (connection) => connection.secret_key,
      password: (connection) => "",
    },
    base_uri: (connection) => "https://api.stripe.com",
  },

  test: (connection) => get("/v1/balance"),

  actions: {
    create_customer: {
      title: "Create customer",
      description: "Creates a customer object.",
      input_fields: [
        { name: "email", label: "E-mail", control_type: "email" },
        { name: "name", label: "Name", optional: true },
        { name: "phone", label: "Phone", optional: true },
        { name: "description", label: "Description", optional: true },
      ],
      output_fields: [
        { name: "id", label: "Customer ID" },
        { name: "email" },
        { name: "name" },
        { name: "created", type: "integer", hint: "Unix time" },
        { name: "livemode", type: "boolean" },
      ],
      execute: (connection, input) =>
        post("/v1/customers", { email: input.email, ...present(input, ["name", "phone", "description"]) }),
    },

    get_customer: {
      title: "Get customer",
      description: "Retrieves a customer by ID.",
      input_fields: [{ name: "customer_id", label: "Customer ID", hint: "cus_…" }],
      output_fields: [
        { name: "id", label: "Customer ID" },
        { name: "email" },
        { name: "name" },
        { name: "phone" },
        { name: "balance", type: "integer" },
        { name: "currency" },
        { name: "delinquent", type: "boolean" },
        { name: "metadata", type: "object" },
      ],
      execute: (connection, input) => get(`/v1/customers/${input.customer_id}`),
    },
  },

  triggers: {
    new_charge: {
      title: "New charge",
      description: "Fires for each new charge, successful or not, oldest first.",
      input_fields: [],
      output_fields: [
        { name: "id", label: "Charge ID" },
        { name: "amount", type: "integer" },
        { name: "currency" },
        { name: "status" },
        { name: "paid", type: "boolean" },
        { name: "customer" },
        { name: "receipt_email" },
        { name: "payment_intent" },
        { name: "created", type: "integer" },
      ],
      // The cursor is the `created` time (Unix seconds) of the newest charge seen.
      // `gte` re-reads charges from that same second; dedup drops the repeats.
      poll: (connection, input, cursor) => {
        const { data } = get("/v1/charges", { limit: 100, ...(cursor != null && { "created[gte]": cursor }) });
        const { ordered, next } = oldestFirst(data, cursor);
        return { events: ordered, cursor: next };
      },
      dedup: (charge) => charge.id,
    },
  },
};
