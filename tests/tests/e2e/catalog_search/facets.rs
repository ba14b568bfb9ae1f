//! The category filter narrows the results; facets count every category the query matches,
//! ignoring the category filter; `categories` counts the public catalog.

use super::*;

async fn categories_and_facets(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    arrange(&app).await?;
    let all_facets = json!([
        { "category": "crm", "count": 2 },
        { "category": "finance", "count": 2 },
        { "category": "productivity", "count": 2 },
        { "category": "developer-tools", "count": 1 },
        { "category": "messaging", "count": 1 },
    ]);
    let all = search(&app, json!({})).await?;
    assert_eq!(all["categoryFacets"], all_facets);

    let crm = search(&app, json!({ "category": "crm" })).await?;
    assert_eq!(slugs(&crm), vec!["hubspot", "salesforce"]);
    assert_eq!(crm["totalCount"], 2);
    assert_eq!(crm["categoryFacets"], all_facets);

    let create_finance = search(
        &app,
        json!({ "query": "create", "category": "finance", "sort": "INSTALLS" }),
    )
    .await?;
    assert_eq!(slugs(&create_finance), vec!["stripe-billing"]);
    assert_eq!(create_finance["totalCount"], 1);
    assert_eq!(
        create_finance["categoryFacets"],
        json!([{ "category": "crm", "count": 1 }, { "category": "finance", "count": 1 }])
    );

    let nothing = search(&app, json!({ "category": "no-such-category" })).await?;
    assert_eq!(nothing["totalCount"], 0);
    assert_eq!(nothing["pageInfo"]["hasNextPage"], false);
    assert_eq!(nothing["categoryFacets"], all_facets);

    let deprecated_too = search(&app, json!({ "includeDeprecated": true })).await?;
    assert_eq!(deprecated_too["totalCount"], 9);
    assert_eq!(
        deprecated_too["categoryFacets"],
        json!([
            { "category": "crm", "count": 2 },
            { "category": "finance", "count": 2 },
            { "category": "productivity", "count": 2 },
            { "category": "developer-tools", "count": 1 },
            { "category": "legacy", "count": 1 },
            { "category": "messaging", "count": 1 },
        ])
    );
    assert_eq!(slugs(&deprecated_too)[0], DEPRECATED);

    let categories = app
        .data(None, "{ categories { category count } }", json!({}))
        .await?;
    assert_eq!(categories["categories"], all_facets);
    app.stop().await
}
tests::on_both_backends!(
    category_filter_facets_and_categories,
    super::categories_and_facets
);
