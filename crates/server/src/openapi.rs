//! The OpenAPI document at `/openapi.json`: its title, description and token schemes here;
//! its paths and schemas from the handlers the route list ([`crate::routes::documented`])
//! holds.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fredbatch platform API",
        description = "The platform API the epx client speaks. Every call except /health, \
                       /openapi.json and the signed /blobs URLs needs `Offline-Token: Bearer \
                       <token>` (or `Authorization: Bearer <token>`)."
    ),
    modifiers(&TokenSchemes),
    security(("offline_token" = []), ("bearer" = []))
)]
struct ApiDoc;

/// How a call presents its token: `Offline-Token: Bearer <token>` (the epx client) or
/// `Authorization: Bearer <token>`.
struct TokenSchemes;

impl Modify for TokenSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "offline_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Offline-Token",
                "`Bearer <token>`, a token from `fredbatch users add`",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document before any route is added.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served. OpenAPI has no parameter that spans several path segments, so a
/// route's `{*key}` (the rest of the path) is named `{key}` there.
pub fn to_json(mut document: utoipa::openapi::OpenApi) -> String {
    let paths = std::mem::take(&mut document.paths.paths);
    document.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (path.replace("{*", "{"), item))
        .collect();
    document.to_json().expect("the OpenAPI document serializes")
}

/// The document of every route in [`crate::routes::documented`].
pub fn document() -> String {
    to_json(crate::routes::documented().into_openapi())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_of_the_client_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(&super::document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/jobs/register",
            "/jobs",
            "/jobs/me",
            "/jobs/results",
            "/jobs/{id}",
            "/runs",
            "/runs/retry",
            "/health",
            "/blobs/{bucket}/{key}",
            "/dashboard/api/me",
            "/dashboard/api/jobs",
            "/dashboard/api/jobs/{id}",
            "/dashboard/api/jobs/{id}/report",
            "/dashboard/api/jobs/{id}/cancel",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from {:?}",
                paths.keys()
            );
        }
        assert!(doc["paths"]["/runs"]["patch"].is_object());
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["offline_token"]["name"], "Offline-Token");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        // The health check and the signed URLs need no token.
        assert_eq!(
            doc["paths"]["/health"]["get"]["security"],
            serde_json::json!([{}])
        );
        assert_eq!(
            doc["paths"]["/blobs/{bucket}/{key}"]["put"]["security"],
            serde_json::json!([{}])
        );
    }
}
