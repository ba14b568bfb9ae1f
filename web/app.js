// Patchbay web UI: the community library in a browser. Plain JavaScript, no build step, no
// dependencies. Talks to /graphql like any other client. Text from the API is put into the page
// with textContent; the only innerHTML is the output of the Markdown renderer below, which escapes
// its whole input before it adds any markup of its own.
"use strict";

(function () {
  const TOKEN_KEY = "patchbay.token";
  const PAGE_SIZE = 10;
  const SORTS = [
    ["RELEVANCE", "Relevance"],
    ["INSTALLS", "Most installed"],
    ["TRENDING", "Trending (30 days)"],
    ["NEWEST", "Newest"],
  ];

  // ---------------------------------------------------------------- DOM helpers

  /** h("p", {class: "x"}, "text", child) — children are strings (text nodes) or nodes. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  /** Replace an element's children (flattening arrays, skipping null). */
  function put(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }
  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const main = () => document.getElementById("main");
  const fmt = (n) => new Intl.NumberFormat("en").format(n);
  const plural = (n, one, many) => fmt(n) + " " + (n === 1 ? one : many);
  function date(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });
  }
  function debounce(fn, ms) {
    let t;
    return (...args) => {
      clearTimeout(t);
      t = setTimeout(() => fn(...args), ms);
    };
  }

  // ---------------------------------------------------------------- Markdown (safe)

  function escapeHtml(s) {
    return String(s)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Inline formatting over text that is ALREADY escaped. Code spans and links are set aside as
  // placeholders first so nothing formats inside them; links keep http(s) targets only, anything
  // else (javascript:, data:, relative) becomes plain text.
  function inline(escaped) {
    const held = [];
    const hold = (html) => "\u0000" + (held.push(html) - 1) + "\u0000";
    let s = escaped.replace(/`([^`\n]+)`/g, (_, code) => hold("<code>" + code + "</code>"));
    s = s.replace(/\[([^\]\n]+)\]\(([^()\s]+)\)/g, (_, text, url) => {
      // `url` is escaped text: quotes and angle brackets show up as entities; refuse them too.
      if (/^https?:\/\/[^\s"'<>]+$/i.test(url) && !/&(quot|#39|lt|gt);/.test(url)) {
        return hold('<a href="' + url + '" rel="nofollow noopener noreferrer">' + emphasis(text) + "</a>");
      }
      return hold(emphasis(text));
    });
    s = emphasis(s);
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
  }
  function emphasis(s) {
    return s
      .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
      .replace(/__([^_\n]+)__/g, "<strong>$1</strong>")
      .replace(/\*([^*\n]+)\*/g, "<em>$1</em>")
      .replace(/(^|[^A-Za-z0-9_])_([^_\n]+)_(?![A-Za-z0-9_])/g, "$1<em>$2</em>");
  }

  /** Markdown → HTML string. The input is escaped first; only our own tags are added. */
  function markdownToHtml(source) {
    const lines = escapeHtml(String(source || "").replace(/\u0000/g, "").replace(/\r\n?/g, "\n")).split("\n");
    const out = [];
    let para = [];
    let list = null; // { tag, items }
    const flushPara = () => {
      if (para.length) out.push("<p>" + inline(para.join(" ")) + "</p>");
      para = [];
    };
    const flushList = () => {
      if (list) out.push("<" + list.tag + ">" + list.items.map((i) => "<li>" + inline(i) + "</li>").join("") + "</" + list.tag + ">");
      list = null;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const fence = line.match(/^\s*```/);
      if (fence) {
        flushPara();
        flushList();
        const code = [];
        i++;
        while (i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i++]);
        out.push("<pre><code>" + code.join("\n") + "</code></pre>");
        continue;
      }
      const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
      if (heading) {
        flushPara();
        flushList();
        // Shift down two levels: the page's h1 is the listing's name, h2 the section.
        const level = Math.min(6, heading[1].length + 2);
        out.push("<h" + level + ">" + inline(heading[2]) + "</h" + level + ">");
        continue;
      }
      const bullet = line.match(/^\s*[-*+]\s+(.*)$/);
      const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/);
      if (bullet || numbered) {
        flushPara();
        const tag = bullet ? "ul" : "ol";
        if (list && list.tag !== tag) flushList();
        if (!list) list = { tag, items: [] };
        list.items.push((bullet || numbered)[1]);
        continue;
      }
      if (/^\s*$/.test(line)) {
        flushPara();
        flushList();
        continue;
      }
      if (list && /^\s{2,}\S/.test(line)) {
        list.items[list.items.length - 1] += " " + line.trim();
        continue;
      }
      flushList();
      para.push(line.trim());
    }
    flushPara();
    flushList();
    return out.join("\n");
  }
  function markdown(source, cls) {
    const div = h("div", { class: "markdown" + (cls ? " " + cls : "") });
    div.innerHTML = markdownToHtml(source); // escaped above: see markdownToHtml
    return div;
  }

  // ---------------------------------------------------------------- source highlighting

  const TOKEN = /(\/\/[^\n]*)|("(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*')|\b(fn|let|const|if|else|return|true|false|for|in|while|loop|break|continue|throw|try|catch|import|export|as|private|switch|this|null)\b|\b(\d+(?:\.\d+)?)\b/g;
  /** Source code as a <pre> of text nodes and spans: never parsed as HTML. */
  function highlighted(code, label) {
    const codeEl = h("code");
    let last = 0;
    String(code).replace(TOKEN, (m, com, str, kw, num, offset) => {
      if (offset > last) codeEl.append(document.createTextNode(code.slice(last, offset)));
      const cls = com ? "tok-com" : str ? "tok-str" : kw ? "tok-kw" : "tok-num";
      codeEl.append(h("span", { class: cls }, m));
      last = offset + m.length;
      return m;
    });
    if (last < code.length) codeEl.append(document.createTextNode(code.slice(last)));
    return h("pre", { class: "source", tabindex: "0", "aria-label": label }, codeEl);
  }
  function diffView(diff, label) {
    const codeEl = h("code");
    for (const line of String(diff).split("\n")) {
      const cls = line.startsWith("+++") || line.startsWith("---") ? "diff-hunk"
        : line.startsWith("+") ? "diff-add"
        : line.startsWith("-") ? "diff-del"
        : line.startsWith("@@") ? "diff-hunk" : null;
      codeEl.append(cls ? h("span", { class: cls }, line) : document.createTextNode(line), "\n");
    }
    return h("pre", { class: "diff", tabindex: "0", "aria-label": label }, codeEl);
  }

  // ---------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  async function gql(query, variables) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    const t = token();
    if (t) headers.authorization = "Bearer " + t;
    let resp;
    try {
      resp = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables: variables || {} }) });
    } catch (_) {
      throw new ApiError("network", "NETWORK");
    }
    let body;
    try {
      body = await resp.json();
    } catch (_) {
      throw new ApiError("HTTP " + resp.status, resp.status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_RESPONSE");
    }
    if (body.errors && body.errors.length) {
      const e = body.errors[0];
      const code = (e.extensions && e.extensions.code) || "UNKNOWN";
      if (code === "UNAUTHENTICATED" && t && viewer) signedOutByServer();
      throw new ApiError(e.message, code);
    }
    return body.data;
  }

  /** An error as a sentence a person understands. */
  function explain(err, doing) {
    const what = doing ? doing + ": " : "";
    const msg = err && err.message ? err.message : String(err);
    switch (err && err.code) {
      case "NETWORK": return what + "the Patchbay server cannot be reached. Check your connection and try again.";
      case "UNAUTHENTICATED": return what + "you need to sign in with a valid API token. Your token may have expired or been revoked.";
      case "FORBIDDEN": return what + "your role does not allow this. Ask a workspace admin for the permission.";
      case "NOT_FOUND": return what + "we could not find it. It may not exist, or you may not have access to it.";
      case "BAD_USER_INPUT": return what + "the request was not accepted. " + sentence(msg);
      case "CONFLICT": return what + "that clashes with something that already exists. " + sentence(msg);
      case "LIMIT_EXCEEDED": return what + "the request was larger than the server accepts. Try a narrower search.";
      case "INTERNAL_SERVER_ERROR": return what + "something went wrong on the server. Please try again in a moment.";
      default: return what + "something unexpected happened (" + msg + ").";
    }
  }
  function sentence(s) {
    s = String(s || "").trim();
    if (!s) return "";
    s = s[0].toUpperCase() + s.slice(1);
    return /[.!?]$/.test(s) ? s : s + ".";
  }
  /** userErrors of a mutation payload as one message. */
  function userErrorText(errors) {
    return errors.map((e) => {
      if (e.code === "CONFLICT") return sentence(e.message);
      const at = e.field && e.field.length ? " (" + e.field.filter((f) => f !== "input").join(".") + ")" : "";
      return sentence(e.message) + (at === " ()" ? "" : at);
    }).join(" ");
  }

  function showMessage(container, text, kind) {
    const role = kind === "error" ? "alert" : "status";
    const el = h("div", { class: "message " + (kind || ""), role }, text);
    put(container, el);
    return el;
  }
  function flash(text, kind) {
    const f = document.getElementById("flash");
    f.className = "flash " + (kind || "");
    f.setAttribute("role", kind === "error" ? "alert" : "status");
    f.textContent = text;
  }
  function clearFlash() {
    const f = document.getElementById("flash");
    f.className = "flash";
    f.textContent = "";
  }

  // ---------------------------------------------------------------- session

  let viewer = null; // { handle, displayName } when signed in
  let memberships = null; // [{ role, permissions, workspace { slug name environment } }]

  function signedOutByServer() {
    sessionStorage.removeItem(TOKEN_KEY);
    viewer = null;
    memberships = null;
    renderAccount();
    flash("Your sign-in is no longer valid, so you have been signed out. Sign in again with a current API token.", "error");
  }

  async function loadViewer() {
    if (!token()) {
      viewer = null;
      memberships = null;
      return;
    }
    try {
      const data = await gql(`query Me {
        viewer { user { handle displayName } }
        myWorkspaces { role permissions workspace { slug name environment } }
      }`);
      viewer = data.viewer.user;
      memberships = data.myWorkspaces;
    } catch (err) {
      viewer = null;
      memberships = null;
      if (err.code !== "UNAUTHENTICATED") flash(explain(err, "Signing in failed"), "error");
    }
  }

  function renderAccount() {
    const box = document.getElementById("account");
    if (viewer) {
      put(box, 
        h("span", { class: "who" }, "Signed in as ", h("strong", {}, viewer.displayName), " (@" + viewer.handle + ")"),
        h("button", { type: "button", class: "button-secondary", id: "sign-out", onclick: signOut }, "Sign out"),
      );
      return;
    }
    const open = h("button", { type: "button", class: "button-secondary", id: "sign-in", "aria-expanded": "false" }, "Sign in");
    open.addEventListener("click", () => {
      const input = h("input", { type: "password", id: "token-input", name: "token", autocomplete: "off", required: true, "aria-describedby": "token-help" });
      const form = h("form", { id: "sign-in-form" },
        h("label", { for: "token-input" }, "API token"),
        input,
        h("span", { id: "token-help", class: "visually-hidden" }, "Kept in this browser tab only, until you close it or sign out."),
        h("button", { type: "submit", class: "button-secondary" }, "Sign in"),
        h("button", { type: "button", class: "link-button", onclick: () => { renderAccount(); document.getElementById("sign-in").focus(); } }, "Cancel"),
      );
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const value = input.value.trim();
        if (!value) return;
        sessionStorage.setItem(TOKEN_KEY, value);
        await loadViewer();
        if (!viewer) {
          sessionStorage.removeItem(TOKEN_KEY);
          flash("That API token was not accepted: it is unknown, expired or revoked. Check it and try again.", "error");
          input.focus();
          return;
        }
        clearFlash();
        renderAccount();
        flash("Signed in as " + viewer.displayName + ".", "success");
        route();
      });
      put(box, form);
      input.focus();
    });
    put(box, open);
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    viewer = null;
    memberships = null;
    renderAccount();
    flash("Signed out.", "success");
    route();
    document.getElementById("sign-in").focus();
  }

  // ---------------------------------------------------------------- routing

  function navigate(url) {
    history.pushState(null, "", url);
    clearFlash();
    route(true);
  }
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest && ev.target.closest("a[href]");
    if (!a || a.target || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || ev.button !== 0) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (url.pathname === "/" || url.pathname === "/connectors" || url.pathname.startsWith("/connectors/")) {
      ev.preventDefault();
      navigate(url.pathname + url.search);
    }
  });
  window.addEventListener("popstate", () => route(true));

  let routeSeq = 0;
  function route(focusMain) {
    const seq = ++routeSeq;
    const path = location.pathname.replace(/\/+$/, "") || "/";
    const m = path.match(/^\/connectors\/([^/]+)$/);
    const done = () => {
      if (focusMain && seq === routeSeq) main().focus();
    };
    if (m) return listingPage(decodeURIComponent(m[1]), seq).then(done);
    return catalogPage(seq).then(done);
  }

  // ---------------------------------------------------------------- catalog

  const SEARCH = `query Search($query: String, $category: String, $sort: ConnectorSort!, $first: Int!, $after: String) {
    connectors(query: $query, category: $category, sort: $sort, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      categoryFacets { category count }
      edges { node {
        slug name summary category
        metrics { totalInstalls }
        owners { handle displayName }
      } }
    }
  }`;

  async function catalogPage(seq) {
    document.title = "Connectors — Patchbay";
    const params = new URLSearchParams(location.search);
    const state = {
      query: params.get("q") || "",
      category: params.get("category") || "",
      sort: SORTS.some(([v]) => v === params.get("sort")) ? params.get("sort") : "RELEVANCE",
      cursors: [null], // cursor of each page seen so far; the last is the current page's
    };
    let searchSeq = 0;

    const input = h("input", { type: "search", id: "search", name: "q", value: state.query, autocomplete: "off", placeholder: "e.g. issues, crm, email", "aria-controls": "results" });
    const sort = h("select", { id: "sort", name: "sort" }, SORTS.map(([v, label]) => h("option", { value: v, selected: v === state.sort }, label)));
    const count = h("p", { class: "result-count", id: "result-count", role: "status", "aria-live": "polite" }, "Loading…");
    const facets = h("ul", { id: "facets" });
    const results = h("ul", { class: "results", id: "results", "aria-busy": "true" });
    const pager = h("nav", { class: "pager", "aria-label": "Pages of results" });
    const errorBox = h("div");

    put(main(), 
      h("h1", {}, "Community connectors"),
      h("form", { class: "search-bar", role: "search", onsubmit: (ev) => { ev.preventDefault(); state.cursors = [null]; run(); } },
        h("div", { class: "field field-grow" }, h("label", { for: "search" }, "Search connectors"), input),
        h("div", { class: "field" }, h("label", { for: "sort" }, "Sort by"), sort),
      ),
      errorBox,
      h("div", { class: "catalog" },
        h("nav", { class: "facets", "aria-label": "Categories" }, h("h2", { class: "visually-hidden" }, "Categories"), facets),
        h("section", { "aria-label": "Results" }, count, results, pager),
      ),
    );

    const syncUrl = () => {
      const p = new URLSearchParams();
      if (state.query) p.set("q", state.query);
      if (state.category) p.set("category", state.category);
      if (state.sort !== "RELEVANCE") p.set("sort", state.sort);
      const url = "/" + (p.toString() ? "?" + p : "");
      if (location.pathname + location.search !== url) history.replaceState(null, "", url);
    };

    async function run() {
      const mine = ++searchSeq;
      syncUrl();
      results.setAttribute("aria-busy", "true");
      let data;
      try {
        data = await gql(SEARCH, {
          query: state.query.trim() || null,
          category: state.category || null,
          sort: state.sort,
          first: PAGE_SIZE,
          after: state.cursors[state.cursors.length - 1],
        });
      } catch (err) {
        if (mine !== searchSeq || seq !== routeSeq) return;
        results.setAttribute("aria-busy", "false");
        showMessage(errorBox, explain(err, "Searching failed"), "error");
        return;
      }
      if (mine !== searchSeq || seq !== routeSeq) return; // a newer search or page won
      put(errorBox);
      const c = data.connectors;
      const page = state.cursors.length;
      count.textContent = plural(c.totalCount, "connector", "connectors") +
        (state.query.trim() ? " match “" + state.query.trim() + "”" : "") +
        (state.category ? " in " + state.category : "") +
        (c.totalCount > PAGE_SIZE ? " · page " + page : "");
      const total = c.categoryFacets.reduce((n, f) => n + f.count, 0);
      const facet = (value, label, n) => h("li", {},
        h("button", {
          type: "button", "aria-pressed": String(state.category === value), "data-category": value,
          onclick: () => { state.category = value; state.cursors = [null]; run(); },
        }, h("span", {}, label), h("span", { "aria-label": plural(n, "connector", "connectors") }, fmt(n))));
      put(facets, facet("", "All categories", total), c.categoryFacets.map((f) => facet(f.category, f.category, f.count)));
      put(results, c.edges.map(({ node }) => resultCard(node)));
      if (!c.edges.length) results.append(h("li", { class: "card" }, "No connectors match. Try fewer or shorter words, or another category."));
      results.setAttribute("aria-busy", "false");
      put(pager, 
        page > 1 ? h("button", { type: "button", class: "button-secondary", id: "prev-page", onclick: () => { state.cursors.pop(); run(); } }, "Previous page") : null,
        c.pageInfo.hasNextPage ? h("button", { type: "button", class: "button-secondary", id: "next-page", onclick: () => { state.cursors.push(c.pageInfo.endCursor); run(); } }, "Next page") : null,
      );
    }

    const typed = debounce(() => { state.query = input.value; state.cursors = [null]; run(); }, 250);
    input.addEventListener("input", typed);
    sort.addEventListener("change", () => { state.sort = sort.value; state.cursors = [null]; run(); });
    await run();
  }

  function resultCard(node) {
    return h("li", { class: "card", "data-slug": node.slug },
      h("h2", {}, h("a", { href: "/connectors/" + encodeURIComponent(node.slug) }, node.name)),
      h("p", {}, node.summary),
      h("ul", { class: "meta" },
        h("li", {}, h("span", { class: "visually-hidden" }, "Category: "), h("span", { class: "tag" }, node.category)),
        h("li", { class: "installs" }, plural(node.metrics.totalInstalls, "install", "installs")),
        h("li", {}, "by ", node.owners.map((o) => o.displayName).join(", ") || "unknown"),
      ),
    );
  }

  // ---------------------------------------------------------------- listing

  const LISTING = `query Listing($slug: String!) {
    connector(slug: $slug) {
      slug name summary description category keywords status sourceHidden updatedAt
      owners { handle displayName memberSince authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt } }
      latestVersion { version }
      versions(first: 50) { totalCount edges { node {
        version releaseNotes breaking breakingMessage publishedAt yanked installs activeInstalls
      } } }
    }
  }`;
  const METRICS = `query Metrics($slug: String!) {
    connector(slug: $slug) {
      owners { handle displayName memberSince authorStats { connectorsPublished totalInstalls activeInstalls versionsPublished lastPublishedAt } }
      versions(first: 50) { edges { node { version activeInstalls } } }
      metrics { totalInstalls activeInstalls installsLast30Days dailyInstalls(days: 90) { date installs } adoption { version activeInstalls installs share } }
    }
  }`;
  const FIELD = "name label type optional secret hint";
  const CAPS = `query Caps($slug: String!, $version: String!) {
    connector(slug: $slug) { version(version: $version) { version capabilities {
      allowedHosts
      connection { authorization fields { ${FIELD} } }
      actions { name title description inputFields { ${FIELD} } outputFields { ${FIELD} } }
      triggers { name title description inputFields { ${FIELD} } outputFields { ${FIELD} } }
    } } }
  }`;
  const SOURCE = `query Source($slug: String!, $version: String!, $workspace: String) {
    connector(slug: $slug) { version(version: $version) { source(workspace: $workspace) } }
  }`;
  const COPIES = `query Copies($ws: String!) {
    workspace(slug: $ws) { slug permissions connectors {
      id name listing { slug } parentVersion { version } latestNumber releasedNumber
      updateAvailable { version breaking breakingMessage }
    } }
  }`;
  const PREVIEW = `query Preview($ws: String!, $id: ID!) {
    workspace(slug: $ws) { connector(id: $id) { updatePreview {
      fromNumber toVersion { version } hasLocalEdits sourceDiff linesAdded linesRemoved
      capabilityDiff { actionsAdded actionsRemoved triggersAdded triggersRemoved hostsAdded hostsRemoved breakingHints }
    } } }
  }`;
  const INSTALL = `mutation Install($input: InstallConnectorInput!) {
    installConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } }
  }`;
  const RELEASE = `mutation Release($input: WorkspaceConnectorInput!) {
    releaseWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } }
  }`;

  const can = (m, perm) => m.permissions.includes(perm);

  async function listingPage(slug, seq) {
    put(main(), h("p", { class: "loading" }, "Loading the listing…"));
    let c;
    try {
      c = (await gql(LISTING, { slug })).connector;
    } catch (err) {
      if (seq !== routeSeq) return;
      if (err.code === "NOT_FOUND") c = null;
      else {
        put(main(), backLink(), h("h1", {}, "Listing unavailable"));
        showMessage(main().appendChild(h("div")), explain(err, "Loading the listing failed"), "error");
        return;
      }
    }
    if (seq !== routeSeq) return;
    if (!c) {
      document.title = "Not found — Patchbay";
      put(main(), backLink(), h("h1", {}, "No such connector"),
        h("p", {}, "There is no listing called “" + slug + "”. It may have been renamed or made private."));
      return;
    }
    document.title = c.name + " — Patchbay";
    const versions = c.versions.edges.map((e) => e.node);
    const params = new URLSearchParams(location.search);
    const wanted = params.get("version");
    let chosen = versions.find((v) => v.version === wanted) ? wanted
      : c.latestVersion ? c.latestVersion.version : versions.length ? versions[0].version : null;

    const metricsBox = h("section", { class: "panel", "aria-labelledby": "metrics-h" }, h("h2", { id: "metrics-h" }, "Installs"), h("p", { class: "loading" }, "Loading…"));
    const authorsBox = h("section", { class: "panel", "aria-labelledby": "authors-h", id: "authors" },
      h("h2", { id: "authors-h" }, c.owners.length > 1 ? "Authors" : "Author"), c.owners.map(authorCard));
    const capsBox = h("section", { class: "panel", "aria-labelledby": "caps-h" });
    const sourceBox = h("section", { class: "panel", "aria-labelledby": "source-h", id: "source-panel" });
    const actionsBox = h("section", { class: "panel", "aria-labelledby": "actions-h", id: "install-panel" });
    const versionSelect = h("select", { id: "version-select" },
      versions.map((v) => h("option", { value: v.version, selected: v.version === chosen },
        v.version + (v.yanked ? " (yanked)" : "") + (c.latestVersion && v.version === c.latestVersion.version ? " (latest)" : ""))));

    const statusTags = [
      c.status === "DEPRECATED" ? h("span", { class: "tag bad" }, "Deprecated") : null,
      c.sourceHidden ? h("span", { class: "tag" }, "Closed source") : null,
    ];
    put(main(), 
      backLink(),
      h("div", { class: "listing-head" },
        h("div", {},
          h("h1", { id: "listing-name" }, c.name),
          h("p", { class: "summary" }, c.summary),
          h("ul", { class: "meta" },
            h("li", {}, h("span", { class: "tag" }, c.category)),
            statusTags.filter(Boolean).map((t) => h("li", {}, t)),
            h("li", {}, "by ", c.owners.map((o) => o.displayName).join(", ")),
            h("li", {}, "updated " + date(c.updatedAt)),
            c.keywords.length ? h("li", {}, "keywords: " + c.keywords.join(", ")) : null,
          ),
        ),
        h("div", { class: "field" }, h("label", { for: "version-select" }, "Version"), versionSelect),
      ),
      h("div", { class: "layout" },
        h("div", {},
          h("section", { class: "panel", "aria-labelledby": "about-h" },
            h("h2", { id: "about-h" }, "About"),
            c.description.trim() ? markdown(c.description, "description") : h("p", {}, "The author has not written a description.")),
          capsBox,
          sourceBox,
          h("section", { class: "panel", "aria-labelledby": "versions-h" },
            h("h2", { id: "versions-h" }, "Versions (" + fmt(c.versions.totalCount) + ")"),
            h("ol", { class: "versions", id: "versions" }, versions.map(versionItem))),
        ),
        h("div", {},
          actionsBox,
          metricsBox,
          authorsBox,
        ),
      ),
    );

    const loadMetrics = async () => {
      try {
        const fresh = (await gql(METRICS, { slug })).connector;
        if (seq !== routeSeq) return;
        renderMetrics(metricsBox, fresh.metrics);
        put(authorsBox, h("h2", { id: "authors-h" }, fresh.owners.length > 1 ? "Authors" : "Author"), fresh.owners.map(authorCard));
        for (const { node } of fresh.versions.edges) {
          const el = document.querySelector('#versions li[data-version="' + CSS.escape(node.version) + '"] .active-count');
          if (el) el.textContent = plural(node.activeInstalls, "active install", "active installs");
        }
      } catch (err) {
        if (seq === routeSeq) showMessage(metricsBox, explain(err, "Loading install figures failed"), "error");
      }
    };
    const refreshChosen = () => {
      for (const li of document.querySelectorAll("#versions li")) li.classList.toggle("current", li.dataset.version === chosen);
      loadCaps(capsBox, slug, chosen, seq);
      loadSource(sourceBox, slug, chosen, c, seq, pickerState);
    };
    const pickerState = { workspace: null };
    versionSelect.addEventListener("change", () => {
      chosen = versionSelect.value;
      const p = new URLSearchParams(location.search);
      p.set("version", chosen);
      history.replaceState(null, "", location.pathname + "?" + p);
      refreshChosen();
      renderInstallPanel(actionsBox, c, () => chosen, pickerState, seq, loadMetrics, () => loadSource(sourceBox, slug, chosen, c, seq, pickerState));
    });
    refreshChosen();
    renderInstallPanel(actionsBox, c, () => chosen, pickerState, seq, loadMetrics, () => loadSource(sourceBox, slug, chosen, c, seq, pickerState));
    await loadMetrics();
  }

  function backLink() {
    return h("p", { class: "crumbs" }, h("a", { href: "/" }, "← All connectors"));
  }

  function versionItem(v) {
    return h("li", { "data-version": v.version },
      h("h3", {}, "Version " + v.version,
        v.yanked ? h("span", { class: "tag bad" }, "Yanked") : null,
        v.breaking ? h("span", { class: "tag warn" }, "Breaking") : null,
        h("span", { class: "meta" }, date(v.publishedAt) + " · ",
          h("span", { class: "active-count" }, plural(v.activeInstalls, "active install", "active installs")))),
      v.breaking && v.breakingMessage ? h("div", { class: "breaking" }, h("strong", {}, "What breaks: "), v.breakingMessage) : null,
      v.releaseNotes.trim() ? markdown(v.releaseNotes, "release-notes") : h("p", { class: "meta" }, "No release notes."));
  }

  function authorCard(o) {
    const s = o.authorStats;
    return h("div", { class: "author" },
      h("strong", {}, o.displayName), " ", h("span", { class: "meta" }, "@" + o.handle),
      h("dl", {},
        h("dt", {}, "Connectors published"), h("dd", {}, fmt(s.connectorsPublished)),
        h("dt", {}, "Versions published"), h("dd", {}, fmt(s.versionsPublished)),
        h("dt", {}, "Installs, all listings"), h("dd", {}, fmt(s.totalInstalls)),
        h("dt", {}, "Active installs"), h("dd", {}, fmt(s.activeInstalls)),
        h("dt", {}, "Last published"), h("dd", {}, date(s.lastPublishedAt)),
        h("dt", {}, "Member since"), h("dd", {}, date(o.memberSince))));
  }

  function renderMetrics(box, m) {
    const stat = (id, label, n) => h("div", { class: "stat" }, h("dt", {}, label), h("dd", { id }, fmt(n)));
    put(box, 
      h("h2", { id: "metrics-h" }, "Installs"),
      h("dl", { class: "stats" },
        stat("total-installs", "Total", m.totalInstalls),
        stat("active-installs", "Active", m.activeInstalls),
        stat("recent-installs", "Last 30 days", m.installsLast30Days)),
      h("h3", {}, "Daily installs, last 90 days"),
      chart(m.dailyInstalls),
      h("h3", {}, "Adoption by version"),
      m.adoption.length
        ? h("ul", { class: "adoption", id: "adoption" }, m.adoption.map((a) => h("li", {},
          h("span", {}, a.version),
          h("progress", { max: "1", value: String(a.share), "aria-label": "Share of active installs on " + a.version }),
          h("span", {}, Math.round(a.share * 100) + "% (" + fmt(a.activeInstalls) + ")"))))
        : h("p", { class: "meta" }, "No active installs yet."));
  }

  /** Daily installs as an inline SVG bar chart; the description carries the numbers for screen readers. */
  function chart(days) {
    const W = 300, H = 120, top = 8, bottom = 18, left = 20;
    const max = Math.max(1, ...days.map((d) => d.installs));
    const total = days.reduce((n, d) => n + d.installs, 0);
    const peak = days.reduce((p, d) => (d.installs > p.installs ? d : p), days[0] || { installs: 0, date: "" });
    const bw = (W - left) / Math.max(1, days.length);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const summary = days.length
      ? plural(total, "install", "installs") + " between " + days[0].date + " and " + days[days.length - 1].date +
        (total ? "; busiest day " + peak.date + " with " + fmt(peak.installs) + "." : ".")
      : "No data.";
    return svg("svg", { class: "chart", id: "daily-chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc", preserveAspectRatio: "none" },
      svg("title", { id: "chart-title" }, "Daily installs over the last 90 days"),
      svg("desc", { id: "chart-desc" }, summary),
      svg("line", { class: "axis", x1: left, y1: H - bottom, x2: W, y2: H - bottom }),
      svg("text", { x: 0, y: top + 6 }, String(max)),
      svg("text", { x: 0, y: H - bottom }, "0"),
      days.map((d, i) => d.installs > 0 ? svg("rect", {
        class: "bar", x: (left + i * bw + 0.3).toFixed(2), y: y(d.installs).toFixed(1),
        width: Math.max(1, bw - 0.6).toFixed(2), height: (H - bottom - y(d.installs)).toFixed(1),
      }, svg("title", {}, d.date + ": " + plural(d.installs, "install", "installs"))) : null),
      days.length ? svg("text", { x: left, y: H - 4 }, days[0].date) : null,
      days.length ? svg("text", { x: W, y: H - 4, "text-anchor": "end" }, days[days.length - 1].date) : null);
  }

  async function loadCaps(box, slug, version, seq) {
    put(box, h("h2", { id: "caps-h" }, "Actions and triggers"), h("p", { class: "loading" }, "Loading…"));
    if (!version) return put(box, h("h2", { id: "caps-h" }, "Actions and triggers"), h("p", {}, "No published versions."));
    let v;
    try {
      v = (await gql(CAPS, { slug, version })).connector.version;
    } catch (err) {
      if (seq === routeSeq) showMessage(box, explain(err, "Loading the actions failed"), "error");
      return;
    }
    if (seq !== routeSeq || !v) return;
    const caps = v.capabilities;
    const ops = (list, kind) => list.length
      ? h("ul", { class: "ops", id: kind + "-list" }, list.map((op) => h("li", {},
        h("h4", {}, op.title, " ", h("span", { class: "op-name" }, op.name)),
        op.description ? h("p", {}, op.description) : null,
        fieldList("Input", op.inputFields),
        fieldList("Output", op.outputFields))))
      : h("p", { class: "meta" }, "None.");
    put(box, 
      h("h2", { id: "caps-h" }, "Actions and triggers ", h("span", { class: "meta" }, "in " + v.version)),
      h("h3", {}, "Actions (" + caps.actions.length + ")"), ops(caps.actions, "actions"),
      h("h3", {}, "Triggers (" + caps.triggers.length + ")"), ops(caps.triggers, "triggers"),
      h("h3", {}, "Connection"),
      h("p", {}, "Authorization: " + (caps.connection.authorization || "none")),
      fieldList("Fields", caps.connection.fields),
      h("h3", {}, "May send requests to"),
      caps.allowedHosts.length ? h("ul", {}, caps.allowedHosts.map((host) => h("li", {}, h("code", {}, host)))) : h("p", { class: "meta" }, "No hosts."));
  }

  function fieldList(label, fields) {
    if (!fields || !fields.length) return null;
    return h("div", { class: "fields" }, h("strong", {}, label + ": "),
      h("dl", {}, fields.map((f) => [
        h("dt", {}, f.label || f.name),
        h("dd", {}, f.type + (f.optional ? ", optional" : "") + (f.secret ? ", secret" : "") + (f.hint ? " — " + f.hint : "")),
      ])));
  }

  /** Workspaces where the viewer may do `perm`. */
  const workspacesWith = (perm) => (memberships || []).filter((m) => can(m, perm));

  async function loadSource(box, slug, version, c, seq, pickerState) {
    const title = h("h2", { id: "source-h" }, "Source");
    if (!viewer) {
      put(box, title, h("p", {}, "Sign in as a workspace admin or developer to read the source."));
      return;
    }
    const isOwner = c.owners.some((o) => o.handle === viewer.handle);
    if (c.sourceHidden && !isOwner) {
      put(box, title, h("p", {}, "This connector is closed source: only its authors can read the code."));
      return;
    }
    const readable = workspacesWith("CONNECTOR_VIEW_SOURCE");
    const ws = readable.find((m) => m.workspace.slug === pickerState.workspace) || readable[0];
    if (!ws && !isOwner) {
      put(box, title, h("p", {}, "None of your workspaces lets you read connector source. A workspace admin can give you the developer role."));
      return;
    }
    put(box, title, h("p", { class: "loading" }, "Loading…"));
    try {
      const v = (await gql(SOURCE, { slug, version, workspace: ws ? ws.workspace.slug : null })).connector.version;
      if (seq !== routeSeq) return;
      put(box, h("h2", { id: "source-h" }, "Source ", h("span", { class: "meta" }, "of " + version + " (read-only)")),
        highlighted(v.source, "Source code of version " + version));
    } catch (err) {
      if (seq === routeSeq) put(box, title, showMessage(h("div"), explain(err, "Loading the source failed"), "error"));
    }
  }

  function renderInstallPanel(box, c, chosen, pickerState, seq, reloadMetrics, reloadSource) {
    const title = h("h2", { id: "actions-h" }, "Use it");
    if (!viewer) {
      put(box, title, h("p", {}, "Sign in with an API token to install this connector into one of your workspaces."));
      return;
    }
    const installable = workspacesWith("CONNECTOR_INSTALL");
    if (!installable.length) {
      put(box, title, h("p", {}, "You are not an admin or developer in any workspace, so you cannot install connectors. Ask a workspace admin for the developer role."));
      return;
    }
    if (!installable.some((m) => m.workspace.slug === pickerState.workspace)) pickerState.workspace = installable[0].workspace.slug;
    const picker = h("select", { id: "workspace-select" }, installable.map((m) =>
      h("option", { value: m.workspace.slug, selected: m.workspace.slug === pickerState.workspace },
        m.workspace.name + " (" + m.workspace.environment.toLowerCase() + ", " + m.role + ")")));
    const status = h("div", { id: "install-status" });
    const copyBox = h("div", { id: "copy-box" });
    const installBtn = h("button", { type: "button", id: "install-button" }, "Install");
    put(box, title,
      h("div", { class: "form-row" },
        h("div", { class: "field" }, h("label", { for: "workspace-select" }, "Workspace"), picker)),
      copyBox, status);

    const refresh = async () => {
      const ws = pickerState.workspace;
      put(copyBox, h("p", { class: "loading" }, "Checking " + ws + "…"));
      let w;
      try {
        w = (await gql(COPIES, { ws })).workspace;
      } catch (err) {
        if (seq === routeSeq) showMessage(copyBox, explain(err, "Loading the workspace failed"), "error");
        return;
      }
      if (seq !== routeSeq || ws !== pickerState.workspace) return;
      const copy = w.connectors.find((x) => x.listing && x.listing.slug === c.slug);
      if (!copy) {
        installBtn.textContent = "Install " + chosen() + " into " + ws;
        put(copyBox, h("p", {}, "Not installed in this workspace yet."), installBtn);
        return;
      }
      const canRelease = w.permissions.includes("CONNECTOR_RELEASE");
      const upToDate = copy.releasedNumber === copy.latestNumber;
      const releaseBtn = h("button", { type: "button", id: "release-button", disabled: !canRelease || upToDate },
        "Release version " + copy.latestNumber);
      releaseBtn.addEventListener("click", () => act(releaseBtn, "Releasing", RELEASE, { workspaceConnectorId: copy.id }, "releaseWorkspaceConnector",
        (p) => p.changed
          ? "Released: recipes in " + ws + " now use version " + p.workspaceConnector.releasedNumber + "."
          : "Nothing to release: version " + p.workspaceConnector.releasedNumber + " is already released."));
      put(copyBox, 
        h("p", { id: "copy-state" }, "Installed in " + ws + " from " + (copy.parentVersion ? copy.parentVersion.version : "?") +
          ": latest version " + copy.latestNumber + ", " +
          (copy.releasedNumber ? "released version " + copy.releasedNumber : "not released yet") + "."),
        releaseBtn,
        !canRelease ? h("p", { class: "meta" }, "Your role here cannot release.") : null,
        copy.updateAvailable ? updateBanner(copy, ws, seq) : null);
    };

    async function act(button, doing, doc, input, field, success) {
      button.disabled = true;
      put(status, h("p", { class: "loading", role: "status" }, doing + "…"));
      try {
        const p = (await gql(doc, { input }))[field];
        if (p.userErrors.length) {
          showMessage(status, doing + " did not work: " + userErrorText(p.userErrors), "error");
          button.disabled = false;
          return;
        }
        await refresh();
        showMessage(status, success(p), "success");
        await reloadMetrics();
      } catch (err) {
        showMessage(status, explain(err, doing + " failed"), "error");
        button.disabled = false;
      }
    }
    installBtn.addEventListener("click", () => act(installBtn, "Installing", INSTALL,
      { workspace: pickerState.workspace, connector: c.slug, version: chosen() }, "installConnector",
      (p) => "Installed " + c.name + " " + chosen() + " into " + pickerState.workspace + " as version " + p.workspaceConnector.latestNumber +
        ". Release it when your recipes should use it."));
    picker.addEventListener("change", () => {
      pickerState.workspace = picker.value;
      put(status);
      refresh();
      reloadSource();
    });
    refresh();
  }

  function updateBanner(copy, ws, seq) {
    const u = copy.updateAvailable;
    const details = h("div", { id: "update-preview" });
    const btn = h("button", { type: "button", class: "button-secondary", id: "preview-button", "aria-controls": "update-preview", "aria-expanded": "false" }, "Show what changes");
    btn.addEventListener("click", async () => {
      if (btn.getAttribute("aria-expanded") === "true") {
        put(details);
        btn.setAttribute("aria-expanded", "false");
        btn.textContent = "Show what changes";
        return;
      }
      put(details, h("p", { class: "loading" }, "Loading the changes…"));
      try {
        const p = (await gql(PREVIEW, { ws, id: copy.id })).workspace.connector.updatePreview;
        if (seq !== routeSeq) return;
        const d = p.capabilityDiff;
        const changes = [
          ["Actions added", d.actionsAdded], ["Actions removed", d.actionsRemoved],
          ["Triggers added", d.triggersAdded], ["Triggers removed", d.triggersRemoved],
          ["New hosts", d.hostsAdded], ["Hosts dropped", d.hostsRemoved],
        ].filter(([, list]) => list.length);
        put(details, 
          h("p", {}, "From workspace version " + p.fromNumber + " to " + p.toVersion.version + ": " +
            plural(p.linesAdded, "line", "lines") + " added, " + plural(p.linesRemoved, "line", "lines") + " removed." +
            (p.hasLocalEdits ? " Your copy has local edits: the update must replace or merge them." : "")),
          d.breakingHints.length ? h("ul", {}, d.breakingHints.map((x) => h("li", {}, x))) : null,
          changes.length ? h("ul", {}, changes.map(([label, list]) => h("li", {}, label + ": " + list.join(", ")))) : null,
          p.sourceDiff ? diffView(p.sourceDiff, "Source changes") : h("p", {}, "You may not read the source in this workspace, so the source diff is hidden."));
        btn.setAttribute("aria-expanded", "true");
        btn.textContent = "Hide changes";
      } catch (err) {
        showMessage(details, explain(err, "Loading the changes failed"), "error");
      }
    });
    return h("div", { class: "banner", id: "update-banner", role: "region", "aria-label": "Update available" },
      h("h3", {}, "Update available: version " + u.version),
      u.breaking ? h("p", {}, h("strong", {}, "Breaking: "), u.breakingMessage || "this version needs changes in recipes.") : null,
      btn, details);
  }

  // ---------------------------------------------------------------- start

  // Exposed for tests and the curious: the Markdown renderer, pure.
  window.patchbay = { markdownToHtml, escapeHtml };

  async function start() {
    await loadViewer();
    renderAccount();
    await route(false);
    document.body.dataset.ready = "true";
  }
  start();
})();
