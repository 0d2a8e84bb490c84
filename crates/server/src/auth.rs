//! Accounts' tokens: 256 random bits shown once, stored only as their SHA-256 (a hash is
//! enough for random tokens: there is nothing to guess from it). A request carries its token
//! as `Offline-Token: Bearer <token>` (what the epx client sends) or
//! `Authorization: Bearer <token>` (the client in hub mode, and everything else). Tokens
//! that are not ours, such as unsigned base64 `{"user_id": 123}`, match no account.

use axum::http::HeaderMap;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "fbt_";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex(&bytes))
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token a request presents, if any.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    ["offline-token", "authorization"]
        .into_iter()
        .filter_map(|name| headers.get(name)?.to_str().ok())
        .find_map(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_identifies_them() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!token_hash(&a).contains(&a[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn the_token_comes_from_either_header_with_the_bearer_scheme() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_token(&headers), None);
        headers.insert("Offline-Token", "Bearer abc".parse().unwrap());
        assert_eq!(presented_token(&headers), Some("abc"));
        let mut headers = HeaderMap::new();
        headers.insert("Authorization", "bearer  xyz ".parse().unwrap());
        assert_eq!(presented_token(&headers), Some("xyz"));
        let mut headers = HeaderMap::new();
        headers.insert("Authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
        assert_eq!(presented_token(&headers), None);
        headers.insert("Offline-Token", "Bearer ".parse().unwrap());
        assert_eq!(presented_token(&headers), None);
    }
}
