//! Request models: `request.schemas` of an `http` event (JSON schemas by content type, inline
//! or named from `provider.apiGateway.request.schemas`), compiled to `AWS::ApiGateway::Model`s
//! the method validates request bodies against, with v3's logical IDs.

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::Checker;
use crate::manifest::service::RequestSchema;
use crate::manifest::validate::request_schema;
use crate::naming;
use crate::plan::Compiler;

/// One content type's schema of an event.
#[derive(Debug, Clone)]
pub enum Model {
    /// A schema of `provider.apiGateway.request.schemas`, by its key (checked when compiled).
    Provider(String),
    /// The event's own.
    Inline(RequestSchema),
}

/// `request.schemas` of an event: content type → model.
pub(super) fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Vec<(String, Model)>> {
    let m = c.map(v, path)?;
    let mut out = Vec::new();
    for (content_type, spec) in m {
        let p = path.key(content_type.clone());
        let model = match spec {
            Value::String(id) if !id.trim_start().starts_with('{') => Model::Provider(id.clone()),
            other => Model::Inline(request_schema(other, &p, c)?),
        };
        out.push((content_type.clone(), model));
    }
    Some(out)
}

/// The models of one method, added to the template; returns its `RequestModels`.
pub(super) fn compile(c: &mut Compiler, api_id: &Value, h: &super::Http) -> Map<String, Value> {
    let (resource_path, method) = (&h.path, &h.method);
    let mut refs = Map::new();
    for (content_type, model) in &h.request_models {
        let (id, props) = match model {
            Model::Provider(key) => {
                let Some(s) = c.service.provider.api_gateway.request_schemas.get(key) else {
                    let known: Vec<&str> = c
                        .service
                        .provider
                        .api_gateway
                        .request_schemas
                        .keys()
                        .map(String::as_str)
                        .collect();
                    c.diags.push(
                        crate::error::Diagnostic::error(format!(
                            "`{key}` is not a schema of provider.apiGateway.request.schemas"
                        ))
                        .at(&h
                            .key_path
                            .key("request")
                            .key("schemas")
                            .key(content_type.clone()))
                        .hint(if known.is_empty() {
                            "define it there, or write the schema here".to_string()
                        } else {
                            format!("the schemas there are {}", known.join(", "))
                        }),
                    );
                    continue;
                };
                // v3 gives a shared model the JSON content type whatever the event's.
                (
                    naming::rest_api_model_id(key),
                    properties(api_id, "application/json", s),
                )
            }
            Model::Inline(s) => (
                naming::rest_api_endpoint_model_id(resource_path, method, content_type),
                properties(api_id, content_type, s),
            ),
        };
        if !c.t.resources.contains_key(&id) {
            c.add(
                id.clone(),
                json!({ "Type": "AWS::ApiGateway::Model", "Properties": props }),
            );
        }
        refs.insert(content_type.clone(), json!({ "Ref": id }));
    }
    refs
}

fn properties(api_id: &Value, content_type: &str, s: &RequestSchema) -> Value {
    let mut p = Map::new();
    p.insert("RestApiId".into(), api_id.clone());
    p.insert("ContentType".into(), json!(content_type));
    p.insert("Schema".into(), s.schema.clone());
    if let Some(n) = &s.name {
        p.insert("Name".into(), json!(n));
    }
    if let Some(d) = &s.description {
        p.insert("Description".into(), json!(d));
    }
    Value::Object(p)
}
