// Stripe connector, version 1.1.1.
// Uses the Stripe API (https://docs.stripe.com/api) with a secret or restricted key.
// Amounts are entered in major units (19.99) and converted to Stripe's
// smallest currency unit (1999) before sending.

// Rounds half away from zero; Math.round rounds -0.5 up to -0.
const round = (x) => Math.sign(x) * Math.round(Math.abs(x));

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
  description: "Manage Stripe customers, create payment intents, and react to new charges.",
  allowed_hosts: ["api.stripe.com"],

  connection: {
    fields: [
      {
        name: "secret_key",
        label: "Secret key",
        control_type: "password",
        secret: true,
        hint: "sk_live_… or sk_test_…, or a restricted key (rk_…) with Customers, PaymentIntents and Charges access",
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
        { name: "metadata", label: "Metadata", type: "object", optional: true, hint: "Up to 50 string keys and values" },
      ],
      output_fields: [
        { name: "id", label: "Customer ID" },
        { name: "email" },
        { name: "name" },
        { name: "created", type: "integer", hint: "Unix time" },
        { name: "livemode", type: "boolean" },
      ],
      execute: (connection, input) =>
        post("/v1/customers", { email: input.email, ...present(input, ["name", "phone", "description", "metadata"]) }),
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

    find_customer_by_email: {
      title: "Find customer by e-mail",
      description: "Returns the most recent customer with this exact e-mail, or nothing.",
      input_fields: [{ name: "email", label: "E-mail", control_type: "email" }],
      output_fields: [
        { name: "id", label: "Customer ID" },
        { name: "email" },
        { name: "name" },
        { name: "created", type: "integer" },
      ],
      execute: (connection, input) => {
        const list = get("/v1/customers", { email: input.email, limit: 1 });
        return list.data.length > 0 ? list.data[0] : {};
      },
    },

    create_payment_intent: {
      title: "Create payment intent",
      description: "Creates a PaymentIntent with automatic payment methods; confirm it client-side with its client_secret.",
      input_fields: [
        { name: "amount", label: "Amount", type: "number", hint: "In major units: 19.99 for 19.99 USD" },
        { name: "currency", label: "Currency", control_type: "select", pick_list: "currencies", hint: "Three-letter ISO code, lowercase" },
        { name: "customer_id", label: "Customer ID", optional: true },
        { name: "description", label: "Description", optional: true },
        { name: "receipt_email", label: "Receipt e-mail", control_type: "email", optional: true },
        { name: "metadata", label: "Metadata", type: "object", optional: true },
      ],
      output_fields: [
        { name: "id", label: "PaymentIntent ID" },
        { name: "amount", type: "integer" },
        { name: "currency" },
        { name: "status" },
        { name: "client_secret", secret: true },
        { name: "customer" },
      ],
      execute: (connection, input) => {
        // Stripe wants the smallest currency unit: 19.99 USD -> 1999.
        const amount = round(input.amount * 100);
        return post("/v1/payment_intents", {
          amount,
          currency: input.currency.toLowerCase(),
          automatic_payment_methods: { enabled: true },
          ...(input.customer_id != null && { customer: input.customer_id }),
          ...present(input, ["description", "receipt_email", "metadata"]),
        });
      },
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

  pick_lists: {
    currencies: (connection) => [
      ["US dollar", "usd"], ["Euro", "eur"], ["British pound", "gbp"], ["Canadian dollar", "cad"],
      ["Australian dollar", "aud"], ["Swiss franc", "chf"], ["Japanese yen", "jpy"], ["Swedish krona", "sek"],
    ],
  },
};
