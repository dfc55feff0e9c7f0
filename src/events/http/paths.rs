//! One `AWS::ApiGateway::Resource` per path prefix.

use indexmap::IndexMap;
use serde_json::{json, Value};

use super::api::Api;
use super::Events;
use crate::naming;
use crate::plan::Compiler;

/// Every prefix of every path, parents first, in order of appearance. Returns the reference
/// to each path's resource (the root for `""`, and the `restApiResources` the user gave).
pub(super) fn compile(c: &mut Compiler, api: &Api, events: &Events) -> IndexMap<String, Value> {
    let mut refs: IndexMap<String, Value> = IndexMap::new();
    refs.insert(String::new(), api.root.clone());
    for (prefix, id) in &c.service.provider.api_gateway.rest_api_resources {
        refs.insert(prefix.clone(), id.clone());
    }
    for (_, h) in events {
        let parts: Vec<&str> = h.path.split('/').filter(|p| !p.is_empty()).collect();
        for i in 0..parts.len() {
            let prefix = parts[..=i].join("/");
            if refs.contains_key(&prefix) {
                continue;
            }
            let parent = refs[&parts[..i].join("/")].clone();
            let id = naming::rest_api_resource_id(&prefix);
            c.add(id.clone(), json!({ "Type": "AWS::ApiGateway::Resource", "Properties": { "ParentId": parent, "PathPart": parts[i], "RestApiId": api.id } }));
            refs.insert(prefix, json!({ "Ref": id }));
        }
    }
    refs
}
