//! API keys (`provider.apiGateway.apiKeys`), the usage plan they belong to, and the keys'
//! attachment to it.

use serde_json::{json, Map, Value};

use super::api::Api;
use crate::naming;
use crate::plan::{pick, Compiler};

/// Nothing without API keys; otherwise one key per entry, the usage plan, and one usage plan
/// key per API key. All wait for the deployment, which creates the stage they name.
pub(super) fn compile(c: &mut Compiler, api: &Api, deployment_id: &str) {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    if ag.api_keys.is_empty() {
        return;
    }
    for (i, key) in ag.api_keys.iter().enumerate() {
        let mut p = Map::new();
        p.insert("Enabled".into(), json!(key.enabled));
        if let Some(n) = &key.name {
            p.insert("Name".into(), json!(n));
        }
        if let Some(v) = &key.value {
            p.insert("Value".into(), json!(v));
        }
        if let Some(d) = &key.description {
            p.insert("Description".into(), json!(d));
        }
        p.insert(
            "StageKeys".into(),
            json!([{ "RestApiId": api.id, "StageName": service.stage }]),
        );
        c.add(naming::rest_api_key_id(i + 1), json!({ "Type": "AWS::ApiGateway::ApiKey", "Properties": p, "DependsOn": deployment_id }));
    }
    let p = usage_plan(c, api);
    c.add(naming::REST_API_USAGE_PLAN_ID, json!({ "Type": "AWS::ApiGateway::UsagePlan", "DependsOn": deployment_id, "Properties": p }));
    for i in 0..ag.api_keys.len() {
        c.add(
            naming::rest_api_usage_plan_key_id(i + 1),
            json!({ "Type": "AWS::ApiGateway::UsagePlanKey", "Properties": { "KeyId": { "Ref": naming::rest_api_key_id(i + 1) }, "KeyType": "API_KEY", "UsagePlanId": { "Ref": naming::REST_API_USAGE_PLAN_ID } } }),
        );
    }
}

/// The usage plan's `Properties`: the stage, v3's name and description, and the quota and
/// throttle of `provider.apiGateway.usagePlan`.
fn usage_plan(c: &Compiler, api: &Api) -> Map<String, Value> {
    let service = c.service;
    let mut p = Map::new();
    p.insert(
        "ApiStages".into(),
        json!([{ "ApiId": api.id, "Stage": service.stage }]),
    );
    p.insert(
        "Description".into(),
        json!(format!(
            "Usage plan for {} {} stage",
            service.name, service.stage
        )),
    );
    p.insert(
        "UsagePlanName".into(),
        json!(format!("{}-{}", service.name, service.stage)),
    );
    if let Some(Value::Object(up)) = &service.provider.api_gateway.usage_plan {
        if let Some(q) = up.get("quota") {
            p.insert(
                "Quota".into(),
                pick(
                    q,
                    &[
                        ("limit", "Limit"),
                        ("offset", "Offset"),
                        ("period", "Period"),
                    ],
                ),
            );
        }
        if let Some(t) = up.get("throttle") {
            p.insert(
                "Throttle".into(),
                pick(
                    t,
                    &[("burstLimit", "BurstLimit"), ("rateLimit", "RateLimit")],
                ),
            );
        }
    }
    p
}
