//! Authentication: API tokens and the principal a request acts as.
//!
//! A token is `pb_` followed by 40 random alphanumeric characters. Only its sha256 is stored;
//! the secret is shown once, at creation. Tokens are high-entropy, so a fast hash is the right
//! tool here (a password hash would only slow every request down).

use chrono::{DateTime, Duration, Utc};
use entities::{api_token, user};
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::domain::{self, Slug};
use crate::error::{ServiceError, ServiceResult, UserProblem};

const TOKEN_PREFIX: &str = "pb_";
/// `last_used_at` is refreshed at most this often, so reads do not turn into writes.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

/// Who a request acts as.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    pub user: Option<user::Model>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self { user: None }
    }

    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> ServiceResult<&user::Model> {
        self.user.as_ref().ok_or(ServiceError::Unauthenticated)
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }
}

/// A token secret wrapper that never prints itself.
pub struct TokenSecret(String);

impl TokenSecret {
    /// The secret, to show the user exactly once.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The token of an `Authorization` value: `Bearer <token>` (the scheme's case as RFC 9110
/// allows, blanks around the token ignored); anything else is no token.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod bearer {
    use super::bearer_token;

    #[test]
    fn only_the_bearer_scheme_carries_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        for no in ["abc", "Bearer", "Bearer ", "Basic abc", "Bearerabc", ""] {
            assert_eq!(bearer_token(no), None, "{no:?}");
        }
    }
}

/// Resolve a bearer token to its user, or `UNAUTHENTICATED` when it is unknown, expired or revoked.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> ServiceResult<user::Model> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Err(ServiceError::Unauthenticated);
    }
    let now = Utc::now();
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(secret)))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    let Some((token, Some(user))) = found else {
        return Err(ServiceError::Unauthenticated);
    };
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
        return Err(ServiceError::Unauthenticated);
    }
    if token
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_GRANULARITY)
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(user)
}

/// Create a user (platform operator command).
pub async fn create_user(
    db: &impl ConnectionTrait,
    handle: &str,
    display_name: &str,
    email: &str,
    created_at: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let handle = Slug::parse(&["handle"], handle, 39)?;
    let display_name = domain::text(&["displayName"], display_name, 100, false)?;
    let email = domain::text(&["email"], email, 254, false)?;
    if !email.contains('@') {
        return Err(UserProblem::bad_input(&["email"], "must be an e-mail address").into());
    }
    if user::Entity::find()
        .filter(user::Column::Handle.eq(handle.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(UserProblem::conflict(&["handle"], format!("handle {handle} is taken")).into());
    }
    let user = user::ActiveModel {
        handle: Set(handle.into_string()),
        display_name: Set(display_name),
        email: Set(email),
        created_at: Set(created_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(user)
}

/// The user with `handle` (blanks around it ignored), if any.
pub async fn user_by_handle(
    db: &impl ConnectionTrait,
    handle: &str,
) -> ServiceResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Handle.eq(handle.trim()))
        .one(db)
        .await?)
}

/// Find a user by handle; `NOT_FOUND` when there is none.
pub async fn find_user(db: &impl ConnectionTrait, handle: &str) -> ServiceResult<user::Model> {
    user_by_handle(db, handle)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("user {handle:?}")))
}

/// The user an input's `handle` names; naming no one is the input's fault (`BAD_USER_INPUT` on
/// `input.handle`).
pub async fn input_user(db: &impl ConnectionTrait, handle: &str) -> ServiceResult<user::Model> {
    user_by_handle(db, handle).await?.ok_or_else(|| {
        crate::error::UserProblem::bad_input(
            &["input", "handle"],
            format!("no user has the handle {handle:?}"),
        )
        .into()
    })
}

/// Create an API token for `user`; the returned secret is the only copy there will ever be.
pub async fn create_token(
    db: &impl ConnectionTrait,
    user: &user::Model,
    name: &str,
    expires_in: Option<Duration>,
) -> ServiceResult<(api_token::Model, TokenSecret)> {
    let name = domain::text(&["name"], name, 100, false)?;
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    let secret = format!("{TOKEN_PREFIX}{random}");
    let now = Utc::now();
    let token = api_token::ActiveModel {
        user_id: Set(user.id),
        name: Set(name),
        token_hash: Set(hash_token(&secret)),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_in.map(|d| now + d)),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, TokenSecret(secret)))
}

/// Revoke a token by id; revoking twice is harmless.
pub async fn revoke_token(db: &impl ConnectionTrait, token_id: i64) -> ServiceResult<()> {
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0
        && api_token::Entity::find_by_id(token_id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(ServiceError::NotFound(format!("token {token_id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let secret = TokenSecret("pb_abc".into());
        assert_eq!(format!("{secret:?}"), "TokenSecret(***)");
        assert_eq!(hash_token("pb_abc").len(), 64);
    }
}
