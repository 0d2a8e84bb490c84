//! Requests in flight per token: one user (or one leaked token) cannot take every worker of
//! the server. Counted by the token's hash before it is looked up, so a flood of requests with
//! one token, valid or not, is refused without touching the store; the table holds only tokens
//! with requests in flight, so it is bounded by the connection cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{presented_token, token_hash};
use crate::error::ApiError;

pub struct InFlight {
    limit: usize,
    counts: Mutex<HashMap<String, usize>>,
}

impl InFlight {
    pub fn new(limit: usize) -> Arc<InFlight> {
        Arc::new(InFlight {
            limit,
            counts: Mutex::default(),
        })
    }

    /// A slot for one more request with `token`, unless it has `limit` in flight already.
    fn enter(self: &Arc<Self>, token: String) -> Option<Slot> {
        let mut counts = self
            .counts
            .lock()
            .expect("the in-flight table is never poisoned");
        let count = counts.entry(token.clone()).or_default();
        if *count >= self.limit {
            if *count == 0 {
                counts.remove(&token);
            }
            return None;
        }
        *count += 1;
        Some(Slot {
            table: Arc::clone(self),
            token,
        })
    }
}

/// One request in flight; gives its place back when dropped.
struct Slot {
    table: Arc<InFlight>,
    token: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .table
            .counts
            .lock()
            .expect("the in-flight table is never poisoned");
        if let Some(count) = counts.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.token);
            }
        }
    }
}

/// Middleware: refuses a request with 429 when its token has the limit in flight already.
pub async fn limit_per_token(
    State(table): State<Arc<InFlight>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = presented_token(request.headers()).map(token_hash) else {
        return next.run(request).await;
    };
    match table.enter(token) {
        Some(slot) => {
            let response = next.run(request).await;
            drop(slot);
            response
        }
        None => ApiError::TooManyRequests(format!(
            "your token has {} requests in flight already, the most this server answers at once for one user; send the next when one is answered",
            table.limit
        ))
        .into_response(),
    }
}
