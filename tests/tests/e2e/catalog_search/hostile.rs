//! Search text, category filters and slugs that mean something to FTS5, `to_tsquery` or SQL are
//! only ever plain values: words, or no match, never an error.

use super::*;

/// Text that means something to FTS5 or to `to_tsquery` is only ever words.
async fn hostile_text(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let long_word = "a".repeat(400);
    let many_words = "word ".repeat(80);
    let accented = "é".repeat(400);
    // (text, how many listings it finds)
    let exact: Vec<(&str, u64)> = vec![
        ("\"zephyr\"", 3),
        ("\"zephyr", 3),
        ("zephyr\"", 3),
        ("hub*", 1),
        ("*", 8),
        ("zephyr OR hubspot", 0),
        ("NEAR(zephyr hubspot)", 0),
        ("NEAR(", 0),
        ("name:zephyr", 0),
        ("zephyr & !alpha", 1),
        ("zephyr | hubspot", 0),
        (":", 8),
        ("&", 8),
        ("|", 8),
        ("!", 8),
        ("()", 8),
        ("-", 8),
        ("^", 8),
        ("'", 8),
        ("zephyr:*", 3),
        ("'; DROP TABLE connectors; --", 0),
        ("\\", 8),
        ("%", 8),
        ("_", 8),
        (long_word.as_str(), 0),
        (many_words.as_str(), 0),
        ("日本語 café ünïcödé", 0),
        ("🚀🚀🚀", 8),
        ("zephyr\u{0}", 3),
    ];
    // Sorted by name: ranking is `relevance`'s business, the query language is this test's.
    for (text, count) in exact {
        let body = app
            .graphql(None, SEARCH, json!({ "query": text, "sort": "NAME" }))
            .await?;
        let shown: String = text.chars().take(40).collect();
        assert!(body.get("errors").is_none(), "query {shown:?}: {body}");
        assert_eq!(
            body["data"]["connectors"]["totalCount"].as_u64(),
            Some(count),
            "query {shown:?}"
        );
    }
    // Letters and numbers outside ASCII: whatever they match, they are not an error.
    for text in [
        "½ ² Ⅷ ٣",
        "ि",
        "ि zephyr",
        "ﷺ",
        "𝔷𝔢𝔭𝔥𝔶𝔯",
        "Ǆ",
        "ß",
        "İstanbul",
        "ﬁ",
    ] {
        let body = app
            .graphql(None, SEARCH, json!({ "query": text, "sort": "NAME" }))
            .await?;
        assert!(body.get("errors").is_none(), "query {text:?}: {body}");
        assert!(body["data"]["connectors"]["totalCount"].is_u64(), "{body}");
    }
    // And nothing was harmed.
    assert_eq!(search(&app, json!({})).await?["totalCount"], 8);

    // 400 characters are within the documented limit of 500 characters, whatever their script.
    let body = app
        .graphql(None, SEARCH, json!({ "query": accented, "sort": "NAME" }))
        .await?;
    assert!(body.get("errors").is_none(), "400 × 'é': {body}");
    assert_eq!(body["data"]["connectors"]["totalCount"], 0);
    app.stop().await
}
tests::on_both_backends!(hostile_search_text_is_just_words, super::hostile_text);

/// Category filters and slugs are plain values too, even with a NUL byte in them (which
/// PostgreSQL refuses in text): no match, never an internal error.
async fn hostile_filters(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    for slug in ["hubspot' --", "%", "hubspot\u{0}"] {
        let body = app
            .graphql(
                None,
                "query($s: String!) { connector(slug: $s) { slug } }",
                json!({ "s": slug }),
            )
            .await?;
        assert_eq!(
            error_code(&body),
            Some("NOT_FOUND"),
            "slug {slug:?}: {body}"
        );
    }
    for category in ["crm' OR '1'='1", "%", "*", "crm%", "CRM", "crm\u{0}"] {
        let body = app
            .graphql(
                None,
                SEARCH,
                json!({ "category": category, "sort": "NAME" }),
            )
            .await?;
        assert!(
            body.get("errors").is_none(),
            "category {category:?}: {body}"
        );
        assert_eq!(
            body["data"]["connectors"]["totalCount"], 0,
            "category {category:?}"
        );
    }
    assert_eq!(search(&app, json!({})).await?["totalCount"], 8);
    app.stop().await
}
tests::on_both_backends!(hostile_filters_are_plain_values, super::hostile_filters);
