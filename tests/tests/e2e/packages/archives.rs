//! Archives read and made around the server: the entries of a download, independent zip readers,
//! packages rebuilt (signed, tampered) from one read back.

use std::io::Write as _;

pub(super) use packager::testing::{input_of, unpack as entries};

use crate::fixtures::{ACME_ERP_1_1_0, ACME_ERP_DISTINCTIVE_LINE, distinctive_lines};

/// The bytes of the entry `name` in `files` (empty when there is none).
pub(super) fn file_in(files: &[(String, Vec<u8>)], name: &str) -> Vec<u8> {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.clone())
        .unwrap_or_default()
}

/// The names of `files`, in order.
pub(super) fn names_of(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

/// `archive` read by the packager with the default limits.
pub(super) fn read(archive: &[u8]) -> anyhow::Result<packager::Package> {
    Ok(packager::read(archive, &packager::Limits::default())?)
}

pub(super) fn sha256_hex_bytes(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Check the archive with Python's `zipfile.testzip()` and `unzip -t`, when they are installed.
pub(super) fn check_with_external_tools(bytes: &[u8]) -> anyhow::Result<()> {
    // One directory per call: both backends' tests run at once in this process.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tests::TempDir::new(&format!("patchbay_pkg_{}_{call}", std::process::id()))?;
    let path = dir.path.join("package.zip");
    std::fs::File::create(&path)?.write_all(bytes)?;
    let python = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nprint(bad)\nsys.exit(0 if bad is None else 1)")
        .arg(&path)
        .output();
    passes("zipfile.testzip()", "python3", python)?;
    let unzip = std::process::Command::new("unzip")
        .arg("-t")
        .arg(&path)
        .output();
    passes("unzip -t", "unzip", unzip)
}

/// `check` (run by `program`) passed, or could not run at all.
fn passes(
    check: &str,
    program: &str,
    run: std::io::Result<std::process::Output>,
) -> anyhow::Result<()> {
    match run {
        Ok(out) => anyhow::ensure!(
            out.status.success(),
            "{check}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) => println!("note: {program} not available ({err}); {check} skipped"),
    }
    Ok(())
}

/// No line of the closed source in the archive's bytes, nor in any of its entries.
pub(super) fn assert_no_closed_source(archive: &[u8]) -> anyhow::Result<()> {
    let lines = distinctive_lines(ACME_ERP_1_1_0);
    anyhow::ensure!(lines.contains(&ACME_ERP_DISTINCTIVE_LINE), "{lines:?}");
    let files = entries(archive);
    for line in lines {
        assert!(
            !archive.windows(line.len()).any(|w| w == line.as_bytes()),
            "the archive bytes hold the closed-source line {line:?}"
        );
        for (name, data) in &files {
            assert!(
                !String::from_utf8_lossy(data).contains(line),
                "{name} holds the closed-source line {line:?}"
            );
        }
    }
    Ok(())
}

/// `package` built again, signed with the key of `seed`.
pub(super) fn signed(package: &packager::Package, seed: u8) -> anyhow::Result<Vec<u8>> {
    let options = packager::BuildOptions {
        signer: Some(packager::PackageSigner::new(
            packager::SigningKey::from_bytes(&[seed; 32]),
        )),
    };
    Ok(packager::build(&input_of(package), &options)?)
}

/// `package` built again, unsigned, after `change` edits its input.
pub(super) fn rebuilt(
    package: &packager::Package,
    change: impl FnOnce(&mut packager::PackageInput),
) -> anyhow::Result<Vec<u8>> {
    let mut input = input_of(package);
    change(&mut input);
    Ok(packager::build(&input, &packager::BuildOptions::default())?)
}

pub(super) fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
