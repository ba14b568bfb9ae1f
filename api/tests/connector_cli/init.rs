//! `connector init`: a starter that checks, never written into a folder that holds something.

use std::process::Command;

use serde_json::Value;

use crate::BIN;

/// `connector init` writes a starter that `connector check` accepts and a TypeScript setup for
/// the author's editor; it never writes into a folder that holds something.
#[test]
fn init_writes_a_starter_that_checks() -> anyhow::Result<()> {
    let parent = std::env::temp_dir().join(format!(
        "patchbay-init-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    ));
    std::fs::create_dir_all(&parent)?;
    let dir = parent.join("acme-crm");
    let dir_text = dir.to_string_lossy().into_owned();
    let out = Command::new(BIN)
        .args([
            "connector",
            "init",
            "acme-crm",
            "--dir",
            &dir_text,
            "--title",
            "Acme CRM",
        ])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["connector.js", "patchbay-connector.d.ts", "jsconfig.json"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let source = std::fs::read_to_string(dir.join("connector.js"))?;
    assert!(source.contains("/// <reference path=\"./patchbay-connector.d.ts\" />"));
    let jsconfig: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("jsconfig.json"))?)?;
    assert_eq!(jsconfig["compilerOptions"]["checkJs"], true);
    let connector = dir.join("connector.js").to_string_lossy().into_owned();
    let check = Command::new(BIN)
        .args(["connector", "check", &connector])
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let caps: Value = serde_json::from_slice(&check.stdout)?;
    assert_eq!(caps["title"], "Acme CRM");
    assert_eq!(caps["actions"][0]["name"], "get_item");
    assert_eq!(caps["triggers"][0]["name"], "new_item");
    // A second init into the same folder is refused and changes nothing.
    let again = Command::new(BIN)
        .args(["connector", "init", "acme-crm", "--dir", &dir_text])
        .output()?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(std::fs::read_to_string(dir.join("connector.js"))?, source);
    let _ = std::fs::remove_dir_all(&parent);
    Ok(())
}
