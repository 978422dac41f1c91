//! The signed-in user, loaded once by the layout, so every page hides what the user's
//! role cannot do (the server refuses it regardless).

use leptos::prelude::*;
use nsm_core::access::Permission;

use crate::api::auth::whoami;
use crate::error::AppError;
use crate::model::CurrentUser;

#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<CurrentUser, AppError>>);

pub fn provide_me() -> Me {
    let me = Me(Resource::new(|| (), |_| whoami()));
    provide_context(me);
    me
}

/// Its children, only for a user allowed `permission`. Rendered inside a suspense
/// boundary so the server's page and the hydrated one agree.
#[component]
pub fn Allowed(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let user = match me {
                        Some(Me(user)) => user.await.ok(),
                        None => None,
                    };
                    user.filter(|u| u.may(permission)).map(|_| children())
                })
            }}
        </Suspense>
    }
}
