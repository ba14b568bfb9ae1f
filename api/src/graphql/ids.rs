//! Global object ids: `base64url("<Type>:<row id>")`, opaque to clients.

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The kinds of object that have a global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connector,
    ConnectorVersion,
    User,
    Workspace,
    WorkspaceConnector,
    Notification,
    Recipe,
    Connection,
    Package,
    Job,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Connector => "Connector",
            Self::ConnectorVersion => "ConnectorVersion",
            Self::User => "User",
            Self::Workspace => "Workspace",
            Self::WorkspaceConnector => "WorkspaceConnector",
            Self::Notification => "Notification",
            Self::Recipe => "Recipe",
            Self::Connection => "Connection",
            Self::Package => "Package",
            Self::Job => "Job",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::Connector,
            Self::ConnectorVersion,
            Self::User,
            Self::Workspace,
            Self::WorkspaceConnector,
            Self::Notification,
            Self::Recipe,
            Self::Connection,
            Self::Package,
            Self::Job,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decode a global id; `None` for anything malformed.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, raw) = text.split_once(':')?;
    Some((Kind::from_name(kind)?, raw.parse().ok()?))
}

/// Decode a global id that must be of `kind`.
pub fn decode_as(kind: Kind, id: &str) -> Option<i64> {
    decode(id).filter(|(k, _)| *k == kind).map(|(_, id)| id)
}

/// Opaque cursors for offset pagination.
pub fn offset_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

pub fn decode_offset_cursor(cursor: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

/// Where the page after the `after` cursor starts (0 without one); a cursor that is not ours is
/// `BAD_USER_INPUT`.
pub fn offset_after(after: Option<&str>) -> super::errors::GqlResult<u64> {
    match after {
        Some(cursor) => decode_offset_cursor(cursor)
            .and_then(|offset| offset.checked_add(1))
            .ok_or_else(|| {
                super::errors::graphql_error(
                    service::error::ErrorCode::BadUserInput,
                    "invalid `after` cursor",
                )
            }),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_junk() {
        let id = encode(Kind::Connector, 42);
        assert_eq!(decode(&id), Some((Kind::Connector, 42)));
        assert_eq!(decode_as(Kind::User, &id), None);
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Nope:1")), None);
        assert_eq!(decode_offset_cursor(&offset_cursor(7)), Some(7));
        assert_eq!(decode_offset_cursor("x"), None);
    }
}
