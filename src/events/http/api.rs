//! The REST API itself, or the one `provider.apiGateway.restApiId` names.

use serde_json::{json, Map, Value};

use crate::naming;
use crate::plan::Compiler;

/// The REST API the other parts attach to.
pub(super) struct Api {
    /// `{Ref: ApiGatewayRestApi}`, or the configured `restApiId`.
    pub id: Value,
    /// Its root resource, the parent of the first path part.
    pub root: Value,
}

/// Adds the `AWS::ApiGateway::RestApi` unless `restApiId` names an API made elsewhere.
pub(super) fn compile(c: &mut Compiler) -> Api {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    let id = match &ag.rest_api_id {
        Some(id) => id.clone(),
        None => json!({ "Ref": naming::REST_API_ID }),
    };
    let root = match &ag.rest_api_root_resource_id {
        Some(id) => id.clone(),
        None => json!({ "Fn::GetAtt": [naming::REST_API_ID, "RootResourceId"] }),
    };
    if ag.rest_api_id.is_none() {
        c.add(
            naming::REST_API_ID,
            json!({ "Type": "AWS::ApiGateway::RestApi", "Properties": properties(c) }),
        );
    }
    Api { id, root }
}

fn properties(c: &Compiler) -> Map<String, Value> {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    let mut p = Map::new();
    p.insert(
        "Name".into(),
        json!(service
            .provider
            .api_name
            .clone()
            .unwrap_or_else(|| naming::api_name(
                &service.name,
                &service.stage,
                ag.name_starts_with_service
            ))),
    );
    if let Some(d) = &ag.description {
        p.insert("Description".into(), json!(d));
    }
    if let Some(b) = &ag.binary_media_types {
        p.insert("BinaryMediaTypes".into(), b.clone());
    }
    if let Some(m) = ag.minimum_compression_size {
        p.insert("MinimumCompressionSize".into(), json!(m));
    }
    let mut endpoint = json!({ "Types": [service.provider.endpoint_type.clone().unwrap_or_else(|| "EDGE".into())] });
    if let Some(ids) = &service.provider.vpc_endpoint_ids {
        endpoint["VpcEndpointIds"] = ids.clone();
    }
    p.insert("EndpointConfiguration".into(), endpoint);
    if let Some(sp) = &ag.security_policy {
        p.insert("SecurityPolicy".into(), json!(sp));
    }
    if !service.provider.tags.is_empty() {
        p.insert(
            "Tags".into(),
            Value::Array(
                service
                    .provider
                    .tags
                    .iter()
                    .map(|(k, v)| json!({ "Key": k, "Value": v }))
                    .collect(),
            ),
        );
    }
    match &ag.resource_policy {
        Some(policy) => {
            p.insert(
                "Policy".into(),
                json!({ "Version": "2012-10-17", "Statement": policy }),
            );
        }
        None => {
            p.insert("Policy".into(), json!(""));
        }
    }
    if ag.disable_default_endpoint {
        p.insert("DisableExecuteApiEndpoint".into(), json!(true));
    }
    if let Some(s) = &ag.api_key_source_type {
        p.insert("ApiKeySourceType".into(), json!(s.to_ascii_uppercase()));
    }
    p
}
