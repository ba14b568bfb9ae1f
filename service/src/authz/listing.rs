//! Listing ownership rules.

use entities::{connector, connector_owner, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::{ServiceError, ServiceResult};

/// What a listing owner may do; the words appear in `FORBIDDEN` messages.
#[derive(Debug, Clone, Copy)]
pub enum ListingAction {
    Publish,
    Yank,
    Edit,
    ManageOwners,
    ReadSource,
}

impl ListingAction {
    fn describe(self) -> &'static str {
        match self {
            Self::Publish => "publish versions of this listing",
            Self::Yank => "yank versions of this listing",
            Self::Edit => "edit this listing",
            Self::ManageOwners => "manage the owners of this listing",
            Self::ReadSource => "read the source of this listing",
        }
    }
}

/// Is `user` an owner of `listing`?
pub async fn is_owner(
    db: &impl ConnectionTrait,
    listing: &connector::Model,
    user: &user::Model,
) -> ServiceResult<bool> {
    let owned = connector_owner::Entity::find()
        .filter(connector_owner::Column::ConnectorId.eq(listing.id))
        .filter(connector_owner::Column::UserId.eq(user.id))
        .count(db)
        .await?;
    Ok(owned > 0)
}

/// Require that `user` owns `listing` before doing `action` to it.
pub async fn require_owner(
    db: &impl ConnectionTrait,
    listing: &connector::Model,
    user: &user::Model,
    action: ListingAction,
) -> ServiceResult<()> {
    if is_owner(db, listing, user).await? {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(action.describe().to_owned()))
    }
}
