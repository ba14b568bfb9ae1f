// Types for Patchbay connectors written in JavaScript. A connector is one ES module whose
// `export default` is a `Connector`:
//
//   /// <reference path="./patchbay-connector.d.ts" />
//   /** @type {import("./patchbay-connector").Connector} */
//   export default { title: "My API", actions: { ... } };
//
// The HTTP helpers are synchronous and are the only way out of the sandbox. There is no module
// loading, no `eval`, no `Function` constructor, no file system, no timers and no environment.

/** The values a user filled in for the connection's fields, by field name. */
export type ConnectionValues = Record<string, any>;

/** An action's or trigger's input, checked against its `input_fields` before it runs. */
export type Input = Record<string, any>;

export type FieldType =
  | "string" | "integer" | "number" | "boolean" | "date" | "date_time" | "object" | "array";

export interface Field {
  /** `[a-z][a-z0-9_]*`, unique within its list. */
  name: string;
  /** Defaults to the name. */
  label?: string;
  /** Defaults to `"string"`. */
  type?: FieldType;
  /** Defaults to `false`. */
  optional?: boolean;
  /** `"password"` makes the field secret. */
  control_type?: string;
  hint?: string;
  /** Secret values are never shown or logged. */
  secret?: boolean;
  /** The name of one of the connector's `pick_lists`. */
  pick_list?: string;
  /** Fields of an `object`, or of each object in an `array` (at most 16 levels deep). */
  properties?: Field[];
}

/** Fields written out, or computed by a function (listed as none). */
export type Fields = Field[] | ((connection: ConnectionValues) => Field[]);

/** A value, or a function of the connection that returns it. */
export type FromConnection<T> = T | ((connection: ConnectionValues) => T);

export type Authorization =
  | { type: "api_key"; header?: FromConnection<string>; value: FromConnection<string> }
  | { type: "basic"; username: FromConnection<string>; password: FromConnection<string> }
  | { type: "bearer"; token: FromConnection<string> }
  | { type: "custom"; headers: FromConnection<Record<string, string>> };

export interface Connection {
  fields?: Field[];
  /** Applied to every request; its headers win over the script's. */
  authorization?: Authorization;
  /** Relative URLs given to the HTTP helpers are joined to it. */
  base_uri?: FromConnection<string>;
}

export interface Action {
  title: string;
  description?: string;
  input_fields?: Fields;
  output_fields?: Fields;
  /** The output is the returned value as JSON (a returned promise is awaited). */
  execute: (connection: ConnectionValues, input: Input) => any;
}

export interface PollResult<Event = any> {
  events: Event[];
  /** Handed to the next poll as `cursor`. */
  cursor?: any;
}

export interface Trigger<Event = any> {
  title: string;
  description?: string;
  input_fields?: Fields;
  output_fields?: Fields;
  /** `cursor` is what the previous poll returned, `undefined` the first time. */
  poll: (connection: ConnectionValues, input: Input, cursor: any) => PollResult<Event>;
  /** Events whose key was already seen in the same poll are dropped. */
  dedup?: (event: Event) => string | number;
}

export interface ObjectDefinition {
  fields: Fields;
}

export interface Connector {
  title: string;
  description?: string;
  /** Lowercase host names, optionally `*.`-prefixed and `:port`-suffixed; nothing else is reachable. */
  allowed_hosts?: string[];
  connection?: Connection;
  /** The connection test. */
  test?: (connection: ConnectionValues) => any;
  actions?: Record<string, Action>;
  triggers?: Record<string, Trigger>;
  methods?: Record<string, (...args: any[]) => any>;
  /** Each returns `[[label, value], …]`. */
  pick_lists?: Record<string, (connection: ConnectionValues) => [string, any][]>;
  object_definitions?: Record<string, ObjectDefinition>;
}

/** What an HTTP helper throws when a request fails in a way the script may handle. */
export interface RequestError extends Error {
  code: "HTTP" | "NETWORK";
  /** The response status, `null` for a network failure. */
  status: number | null;
  method: string;
  url: string;
  /** The parsed response body (JSON, text, or `null` when empty). */
  body: any;
}

/** Query parameters: `undefined` and `null` values are left out, arrays repeat the key, objects are sent as JSON. */
export type Params = Record<string, any>;
/** An object or array is sent as JSON, a string as it is, `undefined` as no body. */
export type Body = any;
export type Headers = Record<string, string | number | boolean | null | undefined>;

declare global {
  /** GET `url` (absolute, or a path under `base_uri`); returns the parsed response body. */
  function get(url: string, params?: Params, headers?: Headers): any;
  function post(url: string, body?: Body, headers?: Headers): any;
  function put(url: string, body?: Body, headers?: Headers): any;
  function patch(url: string, body?: Body, headers?: Headers): any;
  /**
   * DELETE; takes query parameters, like `get`. `delete` is a JavaScript operator, so call it
   * as `del(url)` (or `globalThis.delete(url)`, the same function).
   */
  function del(url: string, params?: Params, headers?: Headers): any;
  /** Writes its arguments (strings as they are, anything else as JSON) as one log line. */
  function print(...values: any[]): void;
  /** Every method writes one log line, like `print`. */
  const console: {
    log(...values: any[]): void;
    info(...values: any[]): void;
    warn(...values: any[]): void;
    error(...values: any[]): void;
    debug(...values: any[]): void;
  };
  /** Base64 of the UTF-8 bytes of `text`. */
  function base64_encode(text: string): string;
  /** The UTF-8 text whose base64 is `text`. */
  function base64_decode(text: string): string;
}
