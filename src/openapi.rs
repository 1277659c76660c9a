//! The REST API's OpenAPI document: its header and security schemes, and the finishing pass
//! that makes operation ids unique and lists on every operation the error answers the shared
//! layers can give (a client generated from the document must know every status it can get).
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi as Doc, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gpmb",
        description = "Land-clearance mobilisation case tracker: projects, parcels, households, working groups, visits."
    ),
    components(schemas(crate::error::ErrorEnvelope)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("basic" = []), ("session" = []))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // QGIS and GDAL_HTTP_AUTH=BASIC: any user name, the API token as the password.
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("any user name, the API token as the password"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The error answers the shared layers give, named once in `components.responses`.
/// (status, component name, when).
const STANDARD_ERRORS: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "A path, query or body value is malformed (e.g. an id that is not a number, an unknown enum value); `message` names it."),
    ("401", "Unauthorized", "No valid session, token or Basic credentials; with Basic, `WWW-Authenticate: Basic realm=\"gpmb\"`."),
    ("403", "Forbidden", "The caller's role may not do this, or a write with a session cookie came from another site."),
    ("404", "NotFound", "Unknown, or outside the caller's scope (both answer alike)."),
    ("409", "Conflict", "The project is closed and read-only, or the write clashes with what is stored; `code` says which."),
    ("413", "PayloadTooLarge", "The body is larger than the limit for this operation."),
    ("415", "UnsupportedMediaType", "The body's `Content-Type` is not the one this operation reads."),
    ("422", "Unprocessable", "The request is well formed but a value breaks a rule; `code` and `details` say which."),
];

/// Makes the document one a client can be generated from and trusted: unique operation ids, and
/// every error status the shared extractors and layers can answer listed on each operation.
pub fn finish(mut doc: Doc) -> Doc {
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in STANDARD_ERRORS {
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert((*name).to_string(), RefOr::T(response));
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
            (&mut item.head, false),
            (&mut item.options, false),
            (&mut item.trace, false),
        ];
        for (op, write) in operations {
            if let Some(op) = op {
                unique_operation_id(op);
                add_standard_errors(op, write);
            }
        }
    }
    doc
}

/// Handlers are named `list`, `get`, `create` in every resource module; clients generated from
/// the document need operation ids unique across it, so each becomes `<tag>_<handler>`.
fn unique_operation_id(op: &mut Operation) {
    let tag = op
        .tags
        .as_ref()
        .and_then(|t| t.first())
        .map(|t| t.replace('-', "_"));
    if let (Some(tag), Some(id)) = (tag, op.operation_id.as_ref()) {
        op.operation_id = Some(format!("{tag}_{id}"));
    }
}

fn add_standard_errors(op: &mut Operation, write: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_input = !params.is_empty() || op.request_body.is_some();
    let has_body = op.request_body.is_some();
    // `security(())` on an operation (login, logout) means it needs no credentials.
    let open = op.security.as_ref().is_some_and(|s| {
        s.iter()
            .all(|r| *r == utoipa::openapi::security::SecurityRequirement::default())
    });
    for (status, name, _) in STANDARD_ERRORS {
        let applies = match *status {
            // Any id or code a request names, in the path, the query or the body, may be
            // unknown or outside the caller's scope.
            "400" | "404" | "422" => has_input,
            "401" | "403" => !open,
            "409" => write && !open,
            "413" | "415" => has_body,
            _ => false,
        };
        if applies {
            op.responses
                .responses
                .entry((*status).to_string())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}
