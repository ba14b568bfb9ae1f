//! Refused writes to listings: conflicts, version order, unknown listings, credentials and
//! malformed fields. Each is refused with its own code on its own path and leaves nothing behind.

use serde_json::{Value, json};
use tests::{Backend, error_code};

use super::{Base, State, arrange_base, only_user_error, state};
use crate::fixtures::{
    ADD_OWNER, CREATE_CONNECTOR, PUBLISH_VERSION, REMOVE_OWNER, UPDATE_CONNECTOR, YANK_VERSION,
    create_input, payload, raw_listing_and_version_rows,
};

/// `document` with `input`, as `ada`; the whole response.
async fn as_ada(base: &Base, document: &str, input: Value) -> anyhow::Result<Value> {
    base.app
        .graphql(Some(&base.ada), document, json!({ "input": input }))
        .await
}

/// `ada`'s writes to [`Base`], each of which must be refused and leave the state it started from.
struct Refusals {
    base: Base,
    initial: State,
}

impl Refusals {
    async fn arrange(backend: Backend) -> anyhow::Result<Self> {
        let base = arrange_base(backend).await?;
        let initial = state(&base.app).await?;
        Ok(Self { base, initial })
    }

    /// `document` with `input` as `ada`: refused in `field`'s payload with one user error on
    /// `input.<path>` (with `code`, when given), and nothing written.
    async fn refused(
        &self,
        what: &str,
        (document, field): (&str, &str),
        input: Value,
        code: Option<&str>,
        path: &str,
    ) -> anyhow::Result<()> {
        let body = as_ada(&self.base, document, input).await?;
        let error = only_user_error(&body, field)?;
        if let Some(code) = code {
            assert_eq!(error["code"], code, "{what}: {body}");
        }
        assert_eq!(error["field"], json!(["input", path]), "{what}: {body}");
        assert_eq!(
            state(&self.base.app).await?,
            self.initial,
            "{what} left something behind"
        );
        Ok(())
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.base.app.stop().await
    }
}

const CREATE: (&str, &str) = (CREATE_CONNECTOR, "createConnector");
const PUBLISH: (&str, &str) = (PUBLISH_VERSION, "publishVersion");
const BAD: Option<&str> = Some("BAD_USER_INPUT");

async fn taken_slug(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let input = create_input("base", "Another", "utilities", &writes.base.good);
    let conflict = Some("CONFLICT");
    writes
        .refused("duplicate slug", CREATE, input, conflict, "slug")
        .await?;
    writes.stop().await
}
tests::on_both_backends!(a_taken_slug_is_a_conflict, super::taken_slug);

/// A version not above the latest is bad input; one already published is a conflict.
async fn version_order(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    for (version, code) in [
        ("0.9.0", "BAD_USER_INPUT"),
        ("1.0.0-rc.1", "BAD_USER_INPUT"),
        ("1.0.0", "CONFLICT"),
        (" 1.0.0 ", "CONFLICT"),
    ] {
        let input = json!({ "slug": "base", "version": version, "source": writes.base.good });
        writes
            .refused(version, PUBLISH, input, Some(code), "version")
            .await?;
    }
    writes.stop().await
}
tests::on_both_backends!(
    a_version_must_be_above_the_latest_and_unpublished,
    super::version_order
);

/// A higher version that is not published yet, after a lower one was refused, is still checked
/// whole: a blank breaking note is refused on `input.breaking`.
async fn blank_breaking_note(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let good = &writes.base.good;
    let lower = json!({ "slug": "base", "version": "0.9.0", "source": good });
    writes
        .refused("0.9.0", PUBLISH, lower, BAD, "version")
        .await?;
    let input = json!({ "slug": "base", "version": "1.0.1", "source": good, "breaking": "  " });
    writes
        .refused("a blank breaking note", PUBLISH, input, BAD, "breaking")
        .await?;
    writes.stop().await
}
tests::on_both_backends!(
    a_blank_breaking_note_is_refused_on_input_breaking,
    super::blank_breaking_note
);

async fn unknown_listing(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let base = &writes.base;
    let input = json!({ "slug": "nope", "version": "1.0.0", "source": base.good });
    let body = as_ada(base, PUBLISH_VERSION, input).await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(body["data"], Value::Null);
    let body = base
        .app
        .graphql(None, r#"{ connector(slug: "nope") { slug } }"#, json!({}))
        .await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let input = json!({ "slug": "base", "version": "9.9.9" });
    let body = as_ada(base, YANK_VERSION, input).await?;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(state(&base.app).await?, writes.initial);
    writes.stop().await
}
tests::on_both_backends!(
    an_unknown_listing_or_version_is_not_found,
    super::unknown_listing
);

/// Every listing write, with its input: creating one, then the writes only an owner of `base`
/// may make.
fn listing_writes(good: &str) -> [(&'static str, Value); 6] {
    [
        (
            CREATE_CONNECTOR,
            json!(create_input("anon", "Anon", "utilities", good)),
        ),
        (
            PUBLISH_VERSION,
            json!({ "slug": "base", "version": "1.1.0", "source": good }),
        ),
        (YANK_VERSION, json!({ "slug": "base", "version": "1.0.0" })),
        (
            UPDATE_CONNECTOR,
            json!({ "slug": "base", "name": "Taken over" }),
        ),
        (ADD_OWNER, json!({ "slug": "base", "handle": "bob" })),
        (REMOVE_OWNER, json!({ "slug": "base", "handle": "ada" })),
    ]
}

impl Refusals {
    /// `document` with `input` by `token` is refused with `code` and no data, and writes nothing.
    async fn denied(
        &self,
        token: Option<&str>,
        (document, input): &(&str, Value),
        code: &str,
    ) -> anyhow::Result<()> {
        let body = self
            .base
            .app
            .graphql(token, document, json!({ "input": input }))
            .await?;
        assert_eq!(error_code(&body), Some(code), "{document}: {body}");
        assert_eq!(body["data"], Value::Null, "{document}");
        assert_eq!(
            state(&self.base.app).await?,
            self.initial,
            "{code} write {document} left something behind"
        );
        Ok(())
    }
}

async fn writes_need_a_token(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    for write in &listing_writes(&writes.base.good) {
        writes.denied(None, write, "UNAUTHENTICATED").await?;
    }
    writes.stop().await
}
tests::on_both_backends!(
    every_listing_write_needs_a_token,
    super::writes_need_a_token
);

async fn writes_need_an_owner(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let bob = writes.base.app.user_with_token("bob").await?;
    // Anyone signed in may create a listing; the other writes are the owners'.
    for write in listing_writes(&writes.base.good).iter().skip(1) {
        writes.denied(Some(&bob), write, "FORBIDDEN").await?;
    }
    let owners = writes
        .base
        .app
        .data(
            None,
            r#"{ connector(slug: "base") { owners { handle } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(owners["connector"]["owners"], json!([{ "handle": "ada" }]));
    writes.stop().await
}
tests::on_both_backends!(
    only_an_owner_may_write_to_a_listing,
    super::writes_need_an_owner
);

/// New listings with one malformed field each: (what, input, the field named).
fn malformed_listings(good: &str) -> Vec<(&'static str, Value, &'static str)> {
    let with = |slug: &str, name: &str, category: &str| create_input(slug, name, category, good);
    let mut too_many_keywords = with("fine-slug", "Fine", "utilities");
    too_many_keywords["keywords"] = json!((0..13).map(|i| format!("k{i}")).collect::<Vec<_>>());
    let mut cases = vec![
        (
            "slug with spaces",
            with("Bad Slug", "Fine", "utilities"),
            "slug",
        ),
        (
            "slug with a leading hyphen",
            with("-bad", "Fine", "utilities"),
            "slug",
        ),
        ("one-letter slug", with("a", "Fine", "utilities"), "slug"),
        ("double hyphen", with("a--b", "Fine", "utilities"), "slug"),
        ("empty name", with("fine-slug", "   ", "utilities"), "name"),
        (
            "bad category",
            with("fine-slug", "Fine", "Not A Slug"),
            "category",
        ),
        ("13 keywords", too_many_keywords, "keywords"),
    ];
    for version in ["1.0", "v1.0.0", "1.0.0+build.5", "", "latest"] {
        let mut input = with("fine-slug", "Fine", "utilities");
        input["version"] = json!(version);
        cases.push(("bad semver", input, "version"));
    }
    let mut long_summary = with("fine-slug", "Fine", "utilities");
    long_summary["summary"] = json!("s".repeat(161));
    cases.push(("161-character summary", long_summary, "summary"));
    cases
}

async fn malformed_fields(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    for (what, input, path) in malformed_listings(&writes.base.good) {
        writes.refused(what, CREATE, input, BAD, path).await?;
    }
    writes.stop().await
}
tests::on_both_backends!(
    a_malformed_field_of_a_new_listing_is_named_on_its_own_path,
    super::malformed_fields
);

async fn malformed_version(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    for version in ["1.1", "one", "1.1.0+meta"] {
        let input = json!({ "slug": "base", "version": version, "source": writes.base.good });
        writes
            .refused(version, PUBLISH, input, BAD, "version")
            .await?;
    }
    writes.stop().await
}
tests::on_both_backends!(
    a_malformed_version_is_refused_on_input_version,
    super::malformed_version
);

async fn empty_name_in_an_edit(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let input = json!({ "slug": "base", "name": "", "summary": "New" });
    let update = (UPDATE_CONNECTOR, "updateConnector");
    writes
        .refused("a refused edit", update, input, None, "name")
        .await?;
    writes.stop().await
}
tests::on_both_backends!(
    an_edit_with_an_empty_name_changes_nothing,
    super::empty_name_in_an_edit
);

/// After a refused version, a valid one still goes through.
async fn valid_write_after_refusals(backend: Backend) -> anyhow::Result<()> {
    let writes = Refusals::arrange(backend).await?;
    let good = &writes.base.good;
    let refused = json!({ "slug": "base", "version": "1.1", "source": good });
    writes
        .refused("1.1", PUBLISH, refused, BAD, "version")
        .await?;
    let input = json!({ "slug": "base", "version": "1.1.0", "source": good });
    let body = as_ada(&writes.base, PUBLISH_VERSION, input).await?;
    assert_eq!(
        payload(&body, "publishVersion")?["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        raw_listing_and_version_rows(writes.base.app.conn()?).await?,
        (1, 2)
    );
    writes.stop().await
}
tests::on_both_backends!(
    a_valid_version_goes_through_after_refusals,
    super::valid_write_after_refusals
);
