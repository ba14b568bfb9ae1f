//! Package signatures: Ed25519 over the canonical manifest without its `signature` block.
//!
//! The signed message is `SIGNING_CONTEXT` followed by the canonical bytes (see `canonical`) of the
//! manifest with `signature` removed. The manifest lists every file's sha256 and size, so the
//! signature covers every byte of the package. A key is named by [`key_id`]: the first 16 hex digits
//! of the sha256 of its 32 public key bytes.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::canonical::{sha256_hex, to_canonical_bytes};
use crate::error::ReadError;
use crate::model::{Manifest, Package, Signature};

/// Domain separation, so a package signature can never be replayed as some other signed message.
pub const SIGNING_CONTEXT: &[u8] = b"patchbay-package-manifest-v1\n";
pub const ALGORITHM: &str = "ed25519";

/// The key that signs packages at build time, with the id recorded in the manifest.
pub struct PackageSigner {
    key: SigningKey,
}

impl PackageSigner {
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    pub fn key_id(&self) -> String {
        key_id(&self.key.verifying_key())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub(crate) fn sign(&self, manifest: &Manifest) -> Result<Signature, serde_json::Error> {
        let message = signed_message(manifest)?;
        let signature = self.key.sign(&message);
        Ok(Signature {
            key_id: self.key_id(),
            algorithm: ALGORITHM.to_owned(),
            value: STANDARD.encode(signature.to_bytes()),
        })
    }
}

impl fmt::Debug for PackageSigner {
    // Never print the secret half.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackageSigner")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

/// The id a manifest uses to name `key`.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = sha256_hex(key.as_bytes());
    digest[..16].to_owned()
}

fn signed_message(manifest: &Manifest) -> Result<Vec<u8>, serde_json::Error> {
    let unsigned = Manifest {
        signature: None,
        ..manifest.clone()
    };
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend(to_canonical_bytes(&unsigned)?);
    Ok(message)
}

/// How a package's signature was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// No signature, and none was required.
    Unsigned,
    /// Signed by this trusted key.
    Verified { key_id: String },
    /// Signed by a key not in the trusted list, and no signature was required: the signature could
    /// not be checked and proves nothing.
    UnknownSigner { key_id: String },
}

/// Check `package`'s signature against `trusted_keys`.
///
/// - no signature: [`ReadError::SignatureRequired`] if `required`, else `Unsigned`;
/// - a key id not among the trusted keys: [`ReadError::UntrustedKey`] if `required`, else
///   `UnknownSigner`;
/// - a trusted key whose signature does not verify (or an unknown algorithm, or a value that is not
///   64 bytes of base64): always [`ReadError::BadSignature`].
pub fn verify(
    package: &Package,
    trusted_keys: &[VerifyingKey],
    required: bool,
) -> Result<Verification, ReadError> {
    let Some(signature) = &package.manifest.signature else {
        return if required {
            Err(ReadError::SignatureRequired)
        } else {
            Ok(Verification::Unsigned)
        };
    };
    if signature.algorithm != ALGORITHM {
        return Err(ReadError::BadSignature {
            reason: format!("unknown algorithm {:?}", signature.algorithm),
        });
    }
    let Some(key) = trusted_keys.iter().find(|k| key_id(k) == signature.key_id) else {
        return if required {
            Err(ReadError::UntrustedKey {
                key_id: signature.key_id.clone(),
            })
        } else {
            Ok(Verification::UnknownSigner {
                key_id: signature.key_id.clone(),
            })
        };
    };
    let bytes: [u8; 64] = STANDARD
        .decode(&signature.value)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ReadError::BadSignature {
            reason: "the value is not 64 bytes of base64".to_owned(),
        })?;
    let message = signed_message(&package.manifest).map_err(|e| ReadError::BadSignature {
        reason: e.to_string(),
    })?;
    key.verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&bytes))
        .map_err(|_| ReadError::BadSignature {
            reason: "the signature does not match the manifest".to_owned(),
        })?;
    Ok(Verification::Verified {
        key_id: signature.key_id.clone(),
    })
}
