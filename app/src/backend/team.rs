//! The team: users (admin), and each user's own sessions, password and API tokens.

use async_trait::async_trait;
use nsm_core::access::Role;
use nsm_core::team::{OneTimeSecret, SessionView, TokenRequest, TokenView, UserView};

use crate::error::AppResult;
use crate::model::CurrentUser;

#[async_trait]
pub trait Team: Send + Sync {
    async fn list_users(&self) -> AppResult<Vec<UserView>>;
    /// A new user with a one-time password they must change at first sign-in.
    async fn create_user(&self, by: &CurrentUser, username: &str, role: Role) -> AppResult<OneTimeSecret>;
    /// Refused for the last enabled admin.
    async fn set_user_role(&self, by: &CurrentUser, user: i64, role: Role) -> AppResult<()>;
    /// Disabling signs the user out everywhere; refused for the last enabled admin.
    async fn set_user_disabled(&self, by: &CurrentUser, user: i64, disabled: bool) -> AppResult<()>;
    /// A new one-time password; every session of the user ends.
    async fn reset_user_password(&self, by: &CurrentUser, user: i64) -> AppResult<OneTimeSecret>;
    /// Ends every session of `user`; answers how many.
    async fn sign_out_user(&self, by: &CurrentUser, user: i64) -> AppResult<u64>;

    /// `current_session` is the caller's own session token, kept by "everywhere else".
    async fn change_password(
        &self,
        by: &CurrentUser,
        current: &str,
        new: &str,
        current_session: Option<&str>,
    ) -> AppResult<()>;
    async fn list_sessions(&self, by: &CurrentUser, current_session: Option<&str>) -> AppResult<Vec<SessionView>>;
    async fn sign_out_session(&self, by: &CurrentUser, session: i64) -> AppResult<()>;
    async fn sign_out_everywhere(&self, by: &CurrentUser) -> AppResult<u64>;
    async fn list_api_tokens(&self, by: &CurrentUser) -> AppResult<Vec<TokenView>>;
    async fn create_api_token(&self, by: &CurrentUser, request: TokenRequest) -> AppResult<OneTimeSecret>;
    async fn revoke_api_token(&self, by: &CurrentUser, token: i64) -> AppResult<()>;
}
