//! Steps on a listing's page (`/connectors/<slug>`), before anyone signs in: what it shows, and
//! that the Markdown an attacker wrote into it renders inert.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::driver::{click, text_of, wait_text};

/// The search result opens the listing's own page: the latest version's actions, every version's
/// notes, its installs, its author, the daily chart, and a source panel that asks to sign in.
pub async fn a_card_opens_the_listing_with_its_versions_and_installs(
    c: &Client,
) -> anyhow::Result<()> {
    click(c, "#results li.card a").await?;
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
    Ok(())
}

/// What the description turned into, as the page's script sees it.
const DESCRIPTION_AS_RENDERED: &str = r#"const d = document.querySelector('.description');
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
};"#;

/// Hostile Markdown renders inert: as text, with no elements, handlers or links it asked for,
/// while the harmless Markdown around it is still formatted.
pub async fn hostile_markdown_renders_as_inert_text(c: &Client) -> anyhow::Result<()> {
    let inert = c.execute(DESCRIPTION_AS_RENDERED, vec![]).await?;
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
    Ok(())
}

/// The renderer on its own: HTML comes out escaped, and `javascript:` and `data:` links are
/// not links at all.
pub async fn the_markdown_renderer_escapes_html_and_drops_unsafe_links(
    c: &Client,
) -> anyhow::Result<()> {
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
    Ok(())
}
