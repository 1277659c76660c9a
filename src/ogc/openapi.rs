//! The OpenAPI 3.0 description of `/ogc` itself — the landing page's `service-desc`. The OGC
//! routes are not utoipa routes (their answers are OGC documents, not gpmb DTOs), so it is
//! written out here, from the same limits the handlers apply. GDAL reads the `limit`
//! parameter's maximum from it to size its pages.
use serde_json::{json, Value};

use super::handlers::{DEFAULT_LIMIT, MAX_LIMIT};

/// The media type of this document (OGC API Features Part 1, 7.3.2).
pub const MEDIA_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";

fn param(name: &str, location: &str, description: &str, schema: &Value) -> Value {
    json!({
        "name": name,
        "in": location,
        "required": location == "path",
        "description": description,
        "schema": schema,
        "style": if location == "path" { "simple" } else { "form" },
        "explode": false,
    })
}

fn ok(description: &str, media: &str) -> Value {
    json!({"description": description, "content": {media: {"schema": {"type": "object"}}}})
}

fn op(id: &str, summary: &str, params: &[Value], media: &str) -> Value {
    json!({"get": {
        "operationId": id,
        "summary": summary,
        "tags": ["OGC API Features"],
        "parameters": params,
        "responses": {
            "200": ok(summary, media),
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        },
    }})
}

/// The document, with `b` (`http://host`) as the base of its server URL.
pub fn document(b: &str) -> Value {
    let f = param(
        "f",
        "query",
        "the only format is JSON (GeoJSON for features)",
        &json!({"type": "string", "enum": ["json", "geojson"]}),
    );
    let collection_id = param(
        "collectionId",
        "path",
        "parcels_<project code>, e.g. parcels_HPDQ2",
        &json!({"type": "string"}),
    );
    let feature_id = param(
        "featureId",
        "path",
        "the parcel's id",
        &json!({"type": "string"}),
    );
    let items_params = [
        collection_id.clone(),
        param(
            "limit",
            "query",
            "features per page; larger values are capped at the maximum",
            &json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        ),
        param(
            "offset",
            "query",
            "features to skip (the `next` link carries it)",
            &json!({"type": "integer", "minimum": 0, "default": 0}),
        ),
        json!({
            "name": "bbox", "in": "query", "required": false,
            "description": "minLon,minLat,maxLon,maxLat in CRS84",
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
            "style": "form", "explode": false,
        }),
        param(
            "bbox-crs",
            "query",
            "only CRS84",
            &json!({"type": "string", "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]}),
        ),
        param(
            "datetime",
            "query",
            "an RFC 3339 instant or interval (`start/end`, `..` for an open end); parcels carry no time, so any valid value matches every parcel",
            &json!({"type": "string"}),
        ),
        f.clone(),
    ];
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "gpmb — OGC API Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The parcels of each land-clearance project as OGC API Features (Part 1 Core, GeoJSON). \
                            Authenticate with an API token: `Authorization: Bearer <token>`, or HTTP Basic with any \
                            user name and the token as the password (QGIS, GDAL_HTTP_AUTH=BASIC).",
        },
        "servers": [{"url": format!("{b}/ogc")}],
        "security": [{"basic": []}, {"bearer": []}, {"session": []}],
        "paths": {
            "/": op("getLandingPage", "landing page", std::slice::from_ref(&f), "application/json"),
            "/api": op("getApiDescription", "this API description", std::slice::from_ref(&f), MEDIA_TYPE),
            "/conformance": op("getConformanceDeclaration", "conformance classes", std::slice::from_ref(&f), "application/json"),
            "/collections": op("getCollections", "one collection of parcels per project", std::slice::from_ref(&f), "application/json"),
            "/collections/{collectionId}": op("describeCollection", "a collection", &[collection_id.clone(), f.clone()], "application/json"),
            "/collections/{collectionId}/items": op("getFeatures", "a page of parcels", &items_params, "application/geo+json"),
            "/collections/{collectionId}/items/{featureId}": op("getFeature", "one parcel", &[collection_id, feature_id, f], "application/geo+json"),
        },
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic", "description": "any user name, the API token as the password"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
            },
            "responses": {
                "Error": {
                    "description": "the error envelope",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["error"],
                        "properties": {"error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }},
                    }}},
                },
            },
        },
    })
}
