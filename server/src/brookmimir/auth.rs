//! Who is calling: the `x-api-key` checks of `openapi/brookmimir.yaml`, in its
//! order, and the one credit each billable call takes.

use dropshot::RequestContext;
use quartet_api::brookmimir::{messages, StatusMessage};

use super::store::is_well_formed;
use super::Brookmimir;
use crate::platform::credentials::Lookup;

/// An authenticated key.
pub struct Account {
    /// The key's id.
    pub id: String,
}

impl Brookmimir {
    /// Checks `x-api-key`: present (else 400), 64 hex (else 400), known (else 404).
    pub(super) async fn authenticate<C>(
        &self,
        rqctx: &RequestContext<C>,
    ) -> Result<Account, StatusMessage>
    where
        C: dropshot::ServerContext,
    {
        let key = match rqctx.request.headers().get("x-api-key") {
            None => return Err(StatusMessage::bad_request(messages::MISSING_API_KEY)),
            Some(v) => v.to_str().unwrap_or(""),
        };
        if !is_well_formed(key) {
            return Err(StatusMessage::bad_request(messages::MALFORMED_API_KEY));
        }
        match &*self.keys.authenticate(&key.to_ascii_lowercase()).await? {
            Lookup::Valid(c) => Ok(Account { id: c.id.clone() }),
            _ => Err(StatusMessage::not_found(messages::UNKNOWN_TOKEN)),
        }
    }

    /// Takes one credit, or answers 402 at zero.
    pub(super) async fn charge(&self, account: &Account) -> Result<(), StatusMessage> {
        if self.charges.charge(&account.id).await? {
            Ok(())
        } else {
            Err(StatusMessage::no_credits())
        }
    }

    /// The key's balance; 402 at zero (as `/credits` documents).
    pub(super) async fn balance(&self, account: &Account) -> Result<i64, StatusMessage> {
        match self.store.balance(&account.id).await? {
            0 => Err(StatusMessage::no_credits()),
            n => Ok(n),
        }
    }
}
