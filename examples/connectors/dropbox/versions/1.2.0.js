// Dropbox connector, version 1.2.0.
// RPC endpoints live on api.dropboxapi.com and take JSON bodies; content endpoints
// (uploads) live on content.dropboxapi.com and take their JSON argument in the
// `arg` URL parameter (https://www.dropbox.com/developers/documentation/http/documentation).

// Follows `has_more` into list_folder/continue, up to 10 pages in all.
const allPages = (first) => {
  let page = first;
  let entries = page.entries;
  let pages = 1;
  while (page.has_more && pages < 10) {
    page = post("/files/list_folder/continue", { cursor: page.cursor });
    entries = [...entries, ...page.entries];
    pages += 1;
  }
  return { entries, cursor: page.cursor };
};

export default {
  title: "Dropbox",
  description: "List, create, move, delete, share and upload files in Dropbox, and react to new files.",
  allowed_hosts: ["api.dropboxapi.com", "content.dropboxapi.com"],

  connection: {
    fields: [
      {
        name: "access_token",
        label: "Access token",
        control_type: "password",
        secret: true,
        hint: "From your app in the Dropbox App Console. Scopes: files.metadata.read, files.content.write, sharing.write",
      },
    ],
    authorization: { type: "bearer", token: (connection) => connection.access_token },
    base_uri: (connection) => "https://api.dropboxapi.com/2",
  },

  test: (connection) => post("/users/get_current_account"),

  actions: {
    list_folder: {
      title: "List folder",
      description: "Lists the files and folders in a folder, following pagination (up to 10 pages).",
      input_fields: [
        { name: "path", label: "Folder path", optional: true, hint: "e.g. /Invoices; leave empty for the root" },
        { name: "recursive", label: "Include subfolders", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [
        { name: "entries", type: "array", properties: [
          { name: "tag", label: "Kind (file or folder)" },
          { name: "id" },
          { name: "name" },
          { name: "path_display" },
          { name: "size", type: "integer" },
          { name: "server_modified", type: "date_time" },
        ] },
        { name: "cursor" },
      ],
      execute: (connection, input) => {
        const { entries, cursor } = allPages(post("/files/list_folder", {
          path: input.path ?? "",
          recursive: input.recursive ?? false,
          include_deleted: false,
          limit: 2000,
        }));
        // Dropbox names the kind ".tag"; expose it as "tag" too so it can be mapped.
        return { entries: entries.map((e) => ({ ...e, tag: e[".tag"] ?? null })), cursor };
      },
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

    move_file: {
      title: "Move or rename",
      description: "Moves or renames a file or folder.",
      input_fields: [
        { name: "from_path", label: "From path" },
        { name: "to_path", label: "To path" },
        { name: "autorename", label: "Auto-rename on conflict", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [{ name: "id" }, { name: "name" }, { name: "path_display" }, { name: "rev" }],
      execute: (connection, input) => post("/files/move_v2", {
        from_path: input.from_path,
        to_path: input.to_path,
        autorename: input.autorename ?? false,
        allow_ownership_transfer: false,
      }).metadata,
    },

    delete: {
      title: "Delete",
      description: "Deletes a file or a folder with everything in it. Deleted files can be restored from Dropbox for a while.",
      input_fields: [{ name: "path", label: "Path" }],
      output_fields: [{ name: "name" }, { name: "path_display" }],
      execute: (connection, input) => post("/files/delete_v2", { path: input.path }).metadata,
    },

    create_shared_link: {
      title: "Create shared link",
      description: "Returns a public view link for a file or folder, reusing the existing link if there is one.",
      input_fields: [{ name: "path", label: "Path" }],
      output_fields: [{ name: "url", control_type: "url" }, { name: "name" }, { name: "path_lower" }],
      execute: (connection, input) => {
        try {
          return post("/sharing/create_shared_link_with_settings", {
            path: input.path,
            settings: { audience: "public", access: "viewer", allow_download: true },
          });
        } catch (err) {
          // 409 shared_link_already_exists: return the link that is already there.
          const existing = post("/sharing/list_shared_links", { path: input.path, direct_only: true });
          if (existing.links.length === 0) throw err;
          return existing.links[0];
        }
      },
    },

    upload_text_file: {
      title: "Upload text file",
      description: "Writes text (CSV, JSON, Markdown…) to a file, up to 150 MB.",
      input_fields: [
        { name: "path", label: "File path", hint: "e.g. /Exports/orders-2025-09.csv" },
        { name: "content", label: "Content", control_type: "text-area" },
        { name: "mode", label: "If the file exists", control_type: "select", pick_list: "write_modes", optional: true, hint: "add (keep both, default) or overwrite" },
      ],
      output_fields: [
        { name: "id" },
        { name: "name" },
        { name: "path_display" },
        { name: "size", type: "integer" },
        { name: "rev" },
        { name: "content_hash" },
        { name: "server_modified", type: "date_time" },
      ],
      execute: (connection, input) => {
        // Keys in alphabetical order.
        const arg = JSON.stringify({ autorename: true, mode: input.mode ?? "add", mute: false, path: input.path });
        return post(`https://content.dropboxapi.com/2/files/upload?arg=${encodeURIComponent(arg)}`, input.content);
      },
    },
  },

  triggers: {
    new_file: {
      title: "New file",
      description: "Fires when a file is added to a folder. Starts from now: existing files do not fire.",
      input_fields: [
        { name: "path", label: "Folder path", optional: true, hint: "Leave empty for the whole Dropbox" },
        { name: "recursive", label: "Include subfolders", type: "boolean", control_type: "checkbox", optional: true },
      ],
      output_fields: [
        { name: "id" },
        { name: "name" },
        { name: "path_display" },
        { name: "size", type: "integer" },
        { name: "rev" },
        { name: "server_modified", type: "date_time" },
      ],
      // The cursor is Dropbox's own list_folder cursor.
      poll: (connection, input, cursor) => {
        if (cursor == null) {
          const latest = post("/files/list_folder/get_latest_cursor", {
            path: input.path ?? "",
            recursive: input.recursive ?? false,
            include_deleted: false,
          });
          return { events: [], cursor: latest.cursor };
        }
        const { entries, cursor: next } = allPages(post("/files/list_folder/continue", { cursor }));
        return { events: entries.filter((e) => e[".tag"] === "file"), cursor: next };
      },
      // Changed files come back with the same id, so only the first sighting fires.
      dedup: (file) => file.id,
    },
  },

  methods: {
    // human_size(1536) == "1.5 KB"
    human_size: (bytes) => {
      if (bytes < 1024) return `${bytes} B`;
      const units = ["KB", "MB", "GB", "TB"];
      let value = bytes / 1024;
      let i = 0;
      while (value >= 1024 && i < 3) { value /= 1024; i += 1; }
      // A whole number keeps its ".0" ("2.0 KB").
      const rounded = Math.round(value * 10) / 10;
      return `${Number.isInteger(rounded) ? rounded.toFixed(1) : rounded} ${units[i]}`;
    },
  },

  pick_lists: {
    write_modes: (connection) => [["Add (keep both files)", "add"], ["Overwrite", "overwrite"]],
  },
};
