// Dropbox connector, version 1.0.0.
// RPC endpoints live on api.dropboxapi.com and take JSON bodies
// (https://www.dropbox.com/developers/documentation/http/documentation).
export default {
  title: "Dropbox",
  description: "List and create folders in Dropbox.",
  allowed_hosts: ["api.dropboxapi.com"],

  connection: {
    fields: [
      {
        name: "access_token",
        label: "Access token",
        control_type: "password",
        secret: true,
        hint: "From your app in the Dropbox App Console. Scopes: files.metadata.read, files.content.write",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.access_token },
    base_uri: (connection) => "https://api.dropboxapi.com/2",
  },

  test: (connection) => post("/users/get_current_account"),

  actions: {
    list_folder: {
      title: "List folder",
      description: "Lists the files and folders in a folder.",
      input_fields: [
        { name: "path", label: "Folder path", optional: true, hint: "e.g. /Invoices; leave empty for the root" },
        { name: "recursive", label: "Include subfolders", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [
        { name: "entries", type: "array", properties: [
          { name: "id" },
          { name: "name" },
          { name: "path_display" },
          { name: "size", type: "integer" },
          { name: "server_modified", type: "date_time" },
        ] },
        { name: "cursor" },
        { name: "has_more", type: "boolean" },
      ],
      execute: (connection, input) => post("/files/list_folder", {
        path: input.path ?? "",
        recursive: input.recursive ?? false,
      }),
    },

    create_folder: {
      title: "Create folder",
      description: "Creates a folder; with auto-rename, an existing name becomes \"Name (1)\".",
      input_fields: [
        { name: "path", label: "Folder path", hint: "e.g. /Clients/Acme" },
        { name: "autorename", label: "Auto-rename on conflict", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [{ name: "id" }, { name: "name" }, { name: "path_display" }],
      execute: (connection, input) => post("/files/create_folder_v2", {
        path: input.path,
        autorename: input.autorename ?? false,
      }).metadata,
    },
  },
};
