//! Browser tests of the web UI (`web/`, served by `api::web`): the real server on SQLite, a
//! headless Chromium driven through chromedriver over WebDriver (`fantoccini`).
//!
//! Needs `chromium` and `chromedriver` on the PATH (Debian: `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them). Screenshots go to `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tests::{Backend, TempDir, TestApp};

// ---------------------------------------------------------------- the browser

/// chromedriver as a child process, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context(
                "starting chromedriver: install chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver)",
            )?;
        Ok(Self { child, port })
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            anyhow::ensure!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &TempDir) -> anyhow::Result<Client> {
    driver.wait_ready().await?;
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1100",
                format!("--user-data-dir={}", profile.path.display()),
            ],
        },
    });
    let Value::Object(caps) = caps else {
        bail!("capabilities must be an object")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .context("opening a WebDriver session")
}

/// Run `script` (a function body that `return`s) until its value is truthy; return that value.
async fn wait_for(c: &Client, what: &str, script: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = c.execute(script, vec![]).await?;
        let truthy = match &value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        };
        if truthy {
            return Ok(value);
        }
        if Instant::now() > deadline {
            let text = c
                .execute("return document.body.innerText", vec![])
                .await
                .unwrap_or_default();
            bail!("timed out waiting for {what} (last value {value}); the page says:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of the element matching `css` (empty when there is none).
async fn text_of(c: &Client, css: &str) -> anyhow::Result<String> {
    let v = c
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![json!(css)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Wait until the element matching `css` has text containing `needle`.
async fn wait_text(c: &Client, css: &str, needle: &str) -> anyhow::Result<()> {
    let script = format!(
        "const e = document.querySelector({}); return !!e && e.textContent.includes({});",
        json!(css),
        json!(needle)
    );
    wait_for(c, &format!("{css} to contain {needle:?}"), &script).await?;
    Ok(())
}

fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}

async fn screenshot(c: &Client, name: &str) -> anyhow::Result<PathBuf> {
    let path = screenshot_dir()?.join(name);
    std::fs::write(&path, c.screenshot().await?)?;
    eprintln!("screenshot: {}", path.display());
    Ok(path)
}

// ---------------------------------------------------------------- arranging data

fn source(title: &str, actions: &[(&str, &str)]) -> String {
    let actions: String = actions
        .iter()
        .map(|(name, action_title)| {
            format!(
                "    {name}: {{\n      title: \"{action_title}\",\n      input_fields: [ {{ name: \"id\" }} ],\n      output_fields: [ {{ name: \"ok\", type: \"boolean\" }} ],\n      execute: (connection, input) => get(`/items/${{input.id}}`),\n    }},\n"
            )
        })
        .collect();
    format!(
        "// {title}: a connector for the browser tests\nexport default {{\n  title: \"{title}\",\n  description: \"Test connector\",\n  allowed_hosts: [\"api.example.com\"],\n  connection: {{\n    fields: [ {{ name: \"api_key\", control_type: \"password\" }} ],\n    authorization: {{ type: \"api_key\", header: \"X-Api-Key\", value: (c) => c.api_key }},\n    base_uri: (c) => \"https://api.example.com\",\n  }},\n  test: (connection) => get(\"/me\"),\n  actions: {{\n{actions}  }},\n}};\n"
    )
}

/// Markdown an attacker might write into a listing.
const HOSTILE_DESCRIPTION: &str = "# Acme Issues\n\nTrack **issues** and _bugs_ from `Acme`.\n\n\
<img src=x onerror=\"window.pwned=1\">\n\n<script>window.pwned=2</script>\n\n\
- [click me](javascript:window.pwned=3)\n- [docs](https://example.com/docs)\n\
- [sneaky](https://example.com/\"onmouseover=\"window.pwned=4)\n\n\
```\nlet x = \"<b>not bold</b>\";\n```\n";

async fn ok_payload(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let data = app
        .data(Some(token), query, json!({ "input": input }))
        .await?;
    let p = data[field].clone();
    anyhow::ensure!(p["userErrors"] == json!([]), "{field}: {p}");
    Ok(p)
}

const CREATE_CONNECTOR: &str = r#"mutation($input: CreateConnectorInput!) {
  createConnector(input: $input) { connector { slug } userErrors { field message code } } }"#;
const PUBLISH_VERSION: &str = r#"mutation($input: PublishVersionInput!) {
  publishVersion(input: $input) { version { version } userErrors { field message code } } }"#;
const CREATE_WORKSPACE: &str = r#"mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { workspace { slug } userErrors { field message code } } }"#;
const SET_MEMBER: &str = r#"mutation($input: SetWorkspaceMemberInput!) {
  setWorkspaceMember(input: $input) { member { role } userErrors { field message code } } }"#;

/// Eleven listings (one page of ten and one more), the first with two versions and a hostile
/// description; a workspace where `dev` is a developer and one where they are an analyst.
/// Returns the developer's token.
async fn arrange(app: &TestApp) -> anyhow::Result<String> {
    let alice = app.user_with_token("alice").await?;
    let boss = app.user_with_token("boss").await?;
    let dev = app.user_with_token("dev").await?;

    ok_payload(
        app,
        &alice,
        CREATE_CONNECTOR,
        "createConnector",
        json!({
            "slug": "acme-issues", "name": "Acme Issues", "category": "devtools",
            "summary": "Create and track Acme issues from recipes",
            "description": HOSTILE_DESCRIPTION, "keywords": ["tickets"],
            "version": "1.0.0", "source": source("Acme Issues", &[("get_issue", "Get issue")]),
            "releaseNotes": "First release.",
        }),
    )
    .await?;
    ok_payload(
        app,
        &alice,
        PUBLISH_VERSION,
        "publishVersion",
        json!({
            "slug": "acme-issues", "version": "1.1.0",
            "source": source("Acme Issues", &[("get_issue", "Get issue"), ("close_issue", "Close issue")]),
            "releaseNotes": "Adds **Close issue**.",
            "breaking": "Issue ids are now strings.",
        }),
    )
    .await?;
    let others = [
        ("crm", "Beta CRM"),
        ("crm", "Gamma Contacts"),
        ("email", "Delta Mail"),
        ("email", "Epsilon Newsletters"),
        ("storage", "Zeta Files"),
        ("storage", "Eta Buckets"),
        ("devtools", "Theta Builds"),
        ("devtools", "Iota Deploys"),
        ("chat", "Kappa Chat"),
        ("chat", "Lambda Rooms"),
    ];
    for (category, name) in others {
        let slug = name.to_lowercase().replace(' ', "-");
        ok_payload(
            app,
            &alice,
            CREATE_CONNECTOR,
            "createConnector",
            json!({
                "slug": slug, "name": name, "category": category,
                "summary": format!("{name} in your recipes"),
                "version": "1.0.0", "source": source(name, &[("ping", "Ping")]),
            }),
        )
        .await?;
    }

    for (slug, role) in [("team", "developer"), ("ops", "analyst")] {
        ok_payload(
            app,
            &boss,
            CREATE_WORKSPACE,
            "createWorkspace",
            json!({ "slug": slug, "name": format!("Workspace {slug}"), "environment": "DEVELOPMENT" }),
        )
        .await?;
        ok_payload(
            app,
            &boss,
            SET_MEMBER,
            "setWorkspaceMember",
            json!({ "workspace": slug, "handle": "dev", "role": role }),
        )
        .await?;
    }
    Ok(dev)
}

// ---------------------------------------------------------------- the tests

/// The page and its assets: content types, the security headers, client-side routes, and the
/// routes that were there before.
async fn check_http(app: &TestApp) -> anyhow::Result<()> {
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/connectors", "text/html; charset=utf-8"),
        ("/connectors/acme-issues", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base_url))
            .send()
            .await?;
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers();
        assert_eq!(headers["content-type"], content_type, "{path}");
        let csp = headers["content-security-policy"].to_str()?;
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    let html = app.client.get(&app.base_url).send().await?.text().await?;
    assert!(html.contains(r#"<script src="/app.js" defer></script>"#));
    assert!(
        !html.contains("<script>"),
        "no inline scripts in index.html"
    );
    let graphiql = app
        .client
        .get(format!("{}/graphiql", app.base_url))
        .send()
        .await?;
    assert_eq!(graphiql.status(), 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_in_a_browser() -> anyhow::Result<()> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let dev = arrange(&app).await?;
    check_http(&app).await?;

    let driver = Driver::start()?;
    let profile = TempDir::new(&format!(
        "patchbay_chromium_{}_{}",
        std::process::id(),
        driver.port
    ))?;
    let client = browser(&driver, &profile).await?;
    let outcome = journey(&client, &app.base_url, &dev).await;
    let _ = client.close().await;
    drop(driver);
    outcome?;
    app.stop().await
}

async fn journey(c: &Client, base: &str, dev_token: &str) -> anyhow::Result<()> {
    // ---- The catalog, anonymously.
    c.goto(&format!("{base}/")).await?;
    wait_for(
        c,
        "the first page of results",
        "return document.body.dataset.ready === 'true' && document.querySelectorAll('#results li.card').length === 10",
    )
    .await?;
    wait_text(c, "#result-count", "11 connectors").await?;
    let card = text_of(c, "#results li[data-slug='acme-issues']").await?;
    for part in [
        "Acme Issues",
        "Create and track Acme issues",
        "devtools",
        "0 installs",
        "alice display",
    ] {
        assert!(card.contains(part), "card {card:?} lacks {part:?}");
    }
    let facets = text_of(c, "#facets").await?;
    assert!(
        facets.contains("All categories11") && facets.contains("devtools3"),
        "{facets}"
    );
    screenshot(c, "catalog.png").await?;

    // Paging: the eleventh listing is on page two.
    c.find(Locator::Css("#next-page")).await?.click().await?;
    wait_for(
        c,
        "page two",
        "return document.querySelectorAll('#results li.card').length === 1",
    )
    .await?;
    wait_text(c, "#result-count", "page 2").await?;
    c.find(Locator::Css("#prev-page")).await?.click().await?;
    wait_for(
        c,
        "page one again",
        "return document.querySelectorAll('#results li.card').length === 10",
    )
    .await?;

    // A category facet narrows the results, and its button says it is pressed.
    c.find(Locator::Css("#facets button[data-category='crm']"))
        .await?
        .click()
        .await?;
    wait_for(
        c,
        "the crm facet",
        "return document.querySelectorAll('#results li.card').length === 2 && \
         document.querySelector(\"#facets button[data-category='crm']\").getAttribute('aria-pressed') === 'true'",
    )
    .await?;
    assert!(
        c.current_url()
            .await?
            .query()
            .unwrap_or_default()
            .contains("category=crm")
    );
    c.find(Locator::Css("#facets button[data-category='']"))
        .await?
        .click()
        .await?;

    // Search as you type: each keystroke is debounced; the results follow the words.
    let search = c.find(Locator::Css("#search")).await?;
    search.send_keys("acm").await?;
    wait_for(
        c,
        "results for 'acm'",
        "const cards = document.querySelectorAll('#results li.card'); \
         return cards.length === 1 && cards[0].dataset.slug === 'acme-issues'",
    )
    .await?;
    wait_text(c, "#result-count", "1 connector match “acm”").await?;
    // A word from an action title finds the listing as well; nonsense finds nothing, and says so.
    search.clear().await?;
    search.send_keys("zzzz").await?;
    wait_text(c, "#results", "No connectors match").await?;
    search.clear().await?;
    search.send_keys("acme").await?;
    wait_for(
        c,
        "results for 'acme'",
        "const cards = document.querySelectorAll('#results li.card'); \
         return cards.length === 1 && cards[0].dataset.slug === 'acme-issues'",
    )
    .await?;

    // ---- Open the listing.
    c.find(Locator::Css("#results li.card a"))
        .await?
        .click()
        .await?;
    wait_text(c, "#listing-name", "Acme Issues").await?;
    assert_eq!(c.current_url().await?.path(), "/connectors/acme-issues");
    wait_text(c, "#actions-list", "Close issue").await?; // latest version's actions
    wait_text(c, "#versions", "Issue ids are now strings.").await?;
    wait_text(c, "#versions", "Adds Close issue").await?;
    wait_text(c, "#total-installs", "0").await?;
    wait_text(c, "#source-panel", "Sign in").await?;
    assert!(
        text_of(c, ".author")
            .await?
            .contains("Connectors published")
    );
    assert!(
        c.find_all(Locator::Css("#daily-chart")).await?.len() == 1,
        "the daily installs chart"
    );

    // Hostile Markdown renders inert: as text, with no elements or links it asked for.
    let inert = c
        .execute(
            r#"const d = document.querySelector('.description');
            return {
              text: d.textContent,
              img: document.querySelectorAll('.description img').length,
              script: document.querySelectorAll('.description script').length,
              jsLinks: [...document.querySelectorAll('a')].filter(a => !/^https?:/.test(a.href)).length,
              links: [...d.querySelectorAll('a')].map(a => a.getAttribute('href')),
              handlers: [...d.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
              pwned: window.pwned === undefined ? null : window.pwned,
              heading: d.querySelector('h3') ? d.querySelector('h3').textContent : null,
              strong: d.querySelector('strong') ? d.querySelector('strong').textContent : null,
              pre: d.querySelector('pre') ? d.querySelector('pre').textContent : null,
            };"#,
            vec![],
        )
        .await?;
    assert_eq!(inert["img"], 0, "{inert}");
    assert_eq!(inert["script"], 0, "{inert}");
    assert_eq!(inert["jsLinks"], 0, "{inert}");
    assert_eq!(inert["handlers"], 0, "{inert}");
    assert_eq!(inert["pwned"], Value::Null, "{inert}");
    assert_eq!(
        inert["links"],
        json!(["https://example.com/docs"]),
        "{inert}"
    );
    assert_eq!(inert["heading"], "Acme Issues", "{inert}");
    assert_eq!(inert["strong"], "issues", "{inert}");
    assert_eq!(inert["pre"], "let x = \"<b>not bold</b>\";", "{inert}");
    let text = inert["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("<img src=x onerror=\"window.pwned=1\">"),
        "{text}"
    );
    assert!(text.contains("<script>window.pwned=2</script>"), "{text}");
    // The renderer on its own.
    let html = c
        .execute(
            "return window.patchbay.markdownToHtml(arguments[0])",
            vec![json!(
                "<b onclick=x>hi</b> [a](JavaScript:alert(1)) [b](data:text/html,x) *<i>*"
            )],
        )
        .await?;
    let html = html.as_str().unwrap_or_default();
    assert!(
        !html.contains("<b") && !html.contains("<i>") && !html.contains("href"),
        "{html}"
    );
    assert!(html.contains("&lt;b onclick=x&gt;"), "{html}");

    // ---- Sign in: a wrong token is refused in words; the right one signs in.
    c.find(Locator::Css("#sign-in")).await?.click().await?;
    c.find(Locator::Css("#token-input"))
        .await?
        .send_keys("pb_not_a_token")
        .await?;
    c.find(Locator::Css("#sign-in-form button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_text(c, "#flash", "not accepted").await?;
    let input = c.find(Locator::Css("#token-input")).await?;
    input.clear().await?;
    input.send_keys(dev_token).await?;
    c.find(Locator::Css("#sign-in-form button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_text(c, "#account", "Signed in as dev display").await?;
    let stored = c
        .execute(
            "return [sessionStorage.getItem('patchbay.token'), localStorage.length]",
            vec![],
        )
        .await?;
    assert_eq!(
        stored,
        json!([dev_token, 0]),
        "the token lives in sessionStorage only"
    );

    // Only workspaces where the role may install are offered.
    wait_for(
        c,
        "the workspace picker",
        "const s = document.querySelector('#workspace-select'); \
         return !!s && [...s.options].map(o => o.value).join(',') === 'team'",
    )
    .await?;
    // The developer reads the source, escaped and highlighted.
    wait_for(
        c,
        "the source",
        "return !!document.querySelector('#source-panel pre.source .tok-str')",
    )
    .await?;
    wait_text(c, "#source-panel pre.source", "close_issue").await?;

    // ---- Install 1.0.0, so 1.1.0 shows as an update.
    c.find(Locator::Css("#version-select"))
        .await?
        .select_by_value("1.0.0")
        .await?;
    wait_text(c, "#install-button", "Install 1.0.0 into team").await?;
    wait_for(
        c,
        "the 1.0.0 source",
        "const p = document.querySelector('#source-panel pre.source'); return !!p && !p.textContent.includes('close_issue')",
    )
    .await?;
    c.find(Locator::Css("#install-button"))
        .await?
        .click()
        .await?;
    wait_text(
        c,
        "#install-status .message.success",
        "Installed Acme Issues 1.0.0 into team",
    )
    .await?;
    wait_text(c, "#total-installs", "1").await?;
    wait_text(c, "#active-installs", "1").await?;
    wait_text(c, "#recent-installs", "1").await?;
    wait_text(c, "#adoption", "1.0.0").await?;
    wait_for(
        c,
        "a bar for today's install",
        "return document.querySelectorAll('#daily-chart rect.bar').length === 1",
    )
    .await?;
    wait_text(c, "#copy-state", "not released yet").await?;
    // The author's record and the version's count follow.
    wait_text(c, "#authors", "Installs, all listings1").await?;
    wait_text(
        c,
        "#versions li[data-version='1.0.0'] .active-count",
        "1 active install",
    )
    .await?;

    // The update banner and its preview diff.
    wait_text(c, "#update-banner", "Update available: version 1.1.0").await?;
    wait_text(c, "#update-banner", "Issue ids are now strings.").await?;
    c.find(Locator::Css("#preview-button"))
        .await?
        .click()
        .await?;
    wait_text(c, "#update-preview pre.diff .diff-add", "close_issue").await?;
    wait_text(c, "#update-preview", "Actions added: close_issue").await?;

    // Once a copy exists, the panel offers release instead of a second install.
    assert!(
        c.find_all(Locator::Css("#install-button"))
            .await?
            .is_empty()
    );

    // ---- Release.
    c.find(Locator::Css("#release-button"))
        .await?
        .click()
        .await?;
    wait_text(c, "#install-status .message.success", "Released").await?;
    wait_text(c, "#copy-state", "released version 1").await?;
    wait_for(
        c,
        "the release button to be disabled",
        "return document.querySelector('#release-button').disabled",
    )
    .await?;
    // The whole page in one picture: a window as tall as the page.
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await?
        .as_u64()
        .unwrap_or(1100);
    c.set_window_size(1280, (height as u32 + 140).min(4000))
        .await?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await?;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "horizontal overflow: {overflow}"
    );
    screenshot(c, "listing.png").await?;
    c.set_window_size(1280, 1100).await?;

    // ---- Back in the catalog, the listing's installs went up; sorting by installs puts it first.
    c.find(Locator::Css(".crumbs a")).await?.click().await?;
    c.find(Locator::Css("#sort"))
        .await?
        .select_by_value("INSTALLS")
        .await?;
    wait_for(
        c,
        "the most installed first",
        "const first = document.querySelector('#results li.card'); \
         return !!first && first.dataset.slug === 'acme-issues' && first.textContent.includes('1 install')",
    )
    .await?;

    // ---- A deep link still works after a reload: the session survives in the tab.
    c.goto(&format!("{base}/connectors/acme-issues")).await?;
    wait_text(c, "#account", "Signed in as dev display").await?;
    wait_text(c, "#copy-state", "released version 1").await?;
    c.goto(&format!("{base}/connectors/no-such-listing"))
        .await?;
    wait_text(c, "main h1", "No such connector").await?;

    // ---- On a phone-sized screen nothing scrolls sideways.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{base}/")).await?;
    wait_for(
        c,
        "the phone catalog",
        "return document.body.dataset.ready === 'true' && document.querySelectorAll('#results li.card').length > 0",
    )
    .await?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await?;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "horizontal overflow: {overflow}"
    );
    screenshot(c, "catalog-phone.png").await?;
    c.goto(&format!("{base}/connectors/acme-issues")).await?;
    wait_text(c, "#copy-state", "released version 1").await?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await?;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "horizontal overflow: {overflow}"
    );
    Ok(())
}
