//! Hostile archives are refused whole, with the packager's code, and leave the database exactly
//! as it was. The archives are made in code with the packager's raw zip tools.

use std::io::Cursor;

use packager::testing::{
    archive_named, edit_manifest, lie_about_first_size, options, patch_bytes, repack, zip_of,
};

use super::*;

/// Import (applying) must be refused with `[code]` in the message and change nothing at all.
pub(super) async fn refused(
    app: &TestApp,
    token: &str,
    what: &str,
    archive: &[u8],
    code: &str,
) -> anyhow::Result<()> {
    let p =
        assert_apply_refused(app, token, what, archive, None, "BAD_USER_INPUT", "archive").await?;
    assert_eq!(p["package"], Value::Null, "{what}: {p}");
    let message = p["userErrors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("[{code}]")),
        "{what}: expected [{code}], got {message}"
    );
    Ok(())
}

/// A case: what the archive is, its bytes, the code that refuses it.
type Case = (String, Vec<u8>, &'static str);

/// Every case refused on a server where development exported "sales" to an empty production.
async fn every_case_refused(
    backend: Backend,
    cases: impl FnOnce(&[u8]) -> Vec<Case>,
) -> anyhow::Result<()> {
    let (dev, _, good) = arrange_sales_export(backend).await?;
    for (what, archive, code) in cases(&good) {
        refused(&dev.app, &dev.admin, &what, &archive, code).await?;
    }
    dev.app.stop().await
}

fn unsafe_paths_and_links(_good: &[u8]) -> Vec<Case> {
    let mut cases: Vec<Case> = ["../x", "..\\x", "/x", "C:/x"]
        .into_iter()
        .map(|name| (format!("path {name}"), archive_named(name), "UNSAFE_PATH"))
        .collect();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_symlink("sales/a.recipe.json", "/etc/passwd", options())
        .expect("symlink");
    let symlink = writer.finish().expect("finish").into_inner();
    cases.push(("symlink".into(), symlink, "SYMLINK"));
    cases
}

async fn unsafe_paths_refused(backend: Backend) -> anyhow::Result<()> {
    every_case_refused(backend, unsafe_paths_and_links).await
}

tests::on_both_backends!(
    an_archive_with_an_unsafe_path_or_a_symlink_is_refused_whole,
    super::unsafe_paths_refused
);

fn duplicate_and_excess_entries(_good: &[u8]) -> Vec<Case> {
    let duplicate = patch_bytes(
        &zip_of(&[("a.recipe.json", b"{}"), ("b.recipe.json", b"[]")]),
        b"b.recipe.json",
        b"a.recipe.json",
    );
    let case_duplicate = zip_of(&[
        ("Sales/A.recipe.json", b"{}"),
        ("sales/a.recipe.json", b"{}"),
    ]);
    let names: Vec<String> = (0..=2_000).map(|i| format!("r{i}.recipe.json")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"{}" as &[u8])).collect();
    vec![
        ("duplicate".into(), duplicate, "DUPLICATE_ENTRY"),
        ("case duplicate".into(), case_duplicate, "DUPLICATE_ENTRY"),
        ("too many entries".into(), zip_of(&many), "TOO_MANY_ENTRIES"),
    ]
}

async fn duplicate_entries_refused(backend: Backend) -> anyhow::Result<()> {
    every_case_refused(backend, duplicate_and_excess_entries).await
}

tests::on_both_backends!(
    an_archive_with_duplicate_or_too_many_entries_is_refused_whole,
    super::duplicate_entries_refused
);

fn bombs_and_lying_sizes(_good: &[u8]) -> Vec<Case> {
    let zeros = vec![0_u8; 50_000_000];
    let bomb = zip_of(&[("bomb.recipe.json", &zeros)]);
    assert!(bomb.len() < 200_000, "the bomb is small");
    let liar = lie_about_first_size(&zip_of(&[("a.recipe.json", &[b'x'; 5_000])]), 10);
    vec![
        ("bomb".into(), bomb.clone(), "COMPRESSION_RATIO"),
        (
            "bomb lying about its size".into(),
            lie_about_first_size(&bomb, 1_000),
            "CORRUPT_ENTRY",
        ),
        ("declared size lies".into(), liar, "CORRUPT_ENTRY"),
    ]
}

async fn bombs_refused(backend: Backend) -> anyhow::Result<()> {
    every_case_refused(backend, bombs_and_lying_sizes).await
}

tests::on_both_backends!(
    a_compression_bomb_or_an_archive_lying_about_sizes_is_refused_whole,
    super::bombs_refused
);

fn damaged(good: &[u8]) -> Vec<Case> {
    let mut junk = b"#!/bin/sh\nexit 0\n".to_vec();
    junk.extend(good);
    vec![
        (
            "truncated".into(),
            good[..good.len() / 2].to_vec(),
            "MALFORMED_ARCHIVE",
        ),
        (
            "truncated tail".into(),
            good[..good.len() - 10].to_vec(),
            "MALFORMED_ARCHIVE",
        ),
        ("junk before".into(), junk, "MALFORMED_ARCHIVE"),
        (
            "format version 2".into(),
            edit_manifest(good, |m| m["format_version"] = 2.into()),
            "UNSUPPORTED_FORMAT_VERSION",
        ),
    ]
}

async fn damaged_refused(backend: Backend) -> anyhow::Result<()> {
    every_case_refused(backend, damaged).await
}

tests::on_both_backends!(
    a_truncated_prefixed_or_future_format_archive_is_refused_whole,
    super::damaged_refused
);

fn unlike_the_manifest(good: &[u8]) -> Vec<Case> {
    let conn_path = "shared/Tracker.connection.json";
    let tampered = repack(good, |files| {
        if let Some(file) = files.iter_mut().find(|(n, _)| n == conn_path)
            && let Some(at) = file.1.iter().position(|b| *b == b'e')
        {
            file.1[at] = b'f'; // same size, different bytes
        }
    });
    let unlisted = repack(good, |files| {
        files.push(("sales/Extra.recipe.json".into(), b"{}".to_vec()))
    });
    let missing = repack(good, |files| files.retain(|(n, _)| n != conn_path));
    vec![
        ("hash differs".into(), tampered, "HASH_MISMATCH"),
        ("unlisted file".into(), unlisted, "UNLISTED_FILE"),
        ("listed file missing".into(), missing, "MISSING_FILE"),
    ]
}

async fn unlike_the_manifest_refused(backend: Backend) -> anyhow::Result<()> {
    every_case_refused(backend, unlike_the_manifest).await
}

tests::on_both_backends!(
    an_archive_whose_files_differ_from_its_manifest_is_refused_whole,
    super::unlike_the_manifest_refused
);
