//! Database credentials as AWS Secrets Manager stores them for RDS, which the job definition
//! injects into the container as one JSON string (never as plain environment values).

use serde::Deserialize;

use crate::StoreError;

#[derive(Deserialize)]
struct RdsSecret {
    username: String,
    password: String,
    host: String,
    port: Option<serde_json::Value>,
    dbname: Option<String>,
}

/// A `postgres://` URL from a secret's JSON (`username`, `password`, `host`, `port`, `dbname`).
pub fn database_url_from_secret(json: &str) -> Result<String, StoreError> {
    let secret: RdsSecret =
        serde_json::from_str(json).map_err(|e| StoreError::BadSecret(e.to_string()))?;
    let port = match secret.port {
        None => 5432,
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| StoreError::BadSecret("port is not a port number".into()))?,
        Some(serde_json::Value::String(s)) => s
            .parse()
            .map_err(|_| StoreError::BadSecret(format!("port `{s}` is not a number")))?,
        Some(_) => return Err(StoreError::BadSecret("port is not a number".into())),
    };
    let dbname = secret.dbname.unwrap_or_else(|| "postgres".to_owned());
    Ok(format!(
        "postgres://{}:{}@{}:{port}/{}",
        encode(&secret.username),
        encode(&secret.password),
        secret.host,
        encode(&dbname)
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so any password survives.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_secrets_become_urls_with_escaped_credentials() {
        let json = r#"{"username":"fred","password":"p@ss:w/rd","engine":"postgres","host":"db.internal","port":5432,"dbname":"fred"}"#;
        assert_eq!(
            database_url_from_secret(json).unwrap(),
            "postgres://fred:p%40ss%3Aw%2Frd@db.internal:5432/fred"
        );
        let minimal = r#"{"username":"u","password":"p","host":"h","port":"6543"}"#;
        assert_eq!(
            database_url_from_secret(minimal).unwrap(),
            "postgres://u:p@h:6543/postgres"
        );
    }

    #[test]
    fn broken_secrets_say_what_is_wrong_without_leaking_them() {
        let error =
            database_url_from_secret(r#"{"username":"u","password":"hunter2"}"#).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("host"), "{message}");
        assert!(!message.contains("hunter2"));
        assert!(database_url_from_secret("not json").is_err());
    }
}
