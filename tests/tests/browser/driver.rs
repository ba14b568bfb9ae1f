//! The browser: chromedriver as a child process, a headless Chromium session over WebDriver, and
//! the few ways the steps look at a page (wait for a condition, read a text, take a screenshot).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tests::TempDir;

/// chromedriver as a child process, killed on drop.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    pub fn start() -> anyhow::Result<Self> {
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

pub async fn browser(driver: &Driver, profile: &TempDir) -> anyhow::Result<Client> {
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
pub async fn wait_for(c: &Client, what: &str, script: &str) -> anyhow::Result<Value> {
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

/// Wait until the catalog shows exactly `count` result cards.
pub async fn wait_for_cards(c: &Client, what: &str, count: usize) -> anyhow::Result<()> {
    let script = format!("return document.querySelectorAll('#results li.card').length === {count}");
    wait_for(c, what, &script).await?;
    Ok(())
}

/// The text of the element matching `css` (empty when there is none).
pub async fn text_of(c: &Client, css: &str) -> anyhow::Result<String> {
    let v = c
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![json!(css)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Wait until the element matching `css` has text containing `needle`.
pub async fn wait_text(c: &Client, css: &str, needle: &str) -> anyhow::Result<()> {
    let script = format!(
        "const e = document.querySelector({}); return !!e && e.textContent.includes({});",
        json!(css),
        json!(needle)
    );
    wait_for(c, &format!("{css} to contain {needle:?}"), &script).await?;
    Ok(())
}

/// Click the element matching `css`.
pub async fn click(c: &Client, css: &str) -> anyhow::Result<()> {
    c.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// The page is no wider than the window: nothing scrolls sideways.
pub async fn assert_no_horizontal_overflow(c: &Client) -> anyhow::Result<()> {
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

fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}

pub async fn screenshot(c: &Client, name: &str) -> anyhow::Result<PathBuf> {
    let path = screenshot_dir()?.join(name);
    std::fs::write(&path, c.screenshot().await?)?;
    eprintln!("screenshot: {}", path.display());
    Ok(path)
}
