//! Every field is searched; prefixes, stems and case do not matter; all words must match.

use super::*;

async fn full_text(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let cases: [(&str, &[&str]); 15] = [
        // name, and a prefix of it
        ("HubSpot", &["hubspot"]),
        ("hub", &["hubspot"]),
        ("HUBSPOT", &["hubspot"]),
        ("git", &["github-tracker"]),
        // summary, description, keyword
        ("quokka", &["stripe-billing"]),
        ("marmalade", &["salesforce"]),
        ("wombat", &["xero-ledger"]),
        // action titles
        ("reticulate", &["zephyr-mail"]),
        ("splines", &["zephyr-mail"]),
        // stems: the documents only say "issue"
        ("issues", &["github-tracker"]),
        // every word must match
        ("create contact", &["hubspot"]),
        ("invoice create", &["stripe-billing"]),
        ("create quokka", &["stripe-billing"]),
        ("quokka marmalade", &[]),
        ("hubspot zephyr", &[]),
    ];
    // Sorted by name: which listings match is checked here, how they rank in `relevance`.
    for (query, expected) in cases {
        let got = found_sorted(&app, query, "NAME").await?;
        assert_eq!(got, expected, "query {query:?}");
    }
    let create = found_sorted(&app, "create", "NAME").await?;
    assert_eq!(create, vec!["hubspot", "stripe-billing"]);
    app.stop().await
}
tests::on_both_backends!(search_finds_by_every_field, super::full_text);
