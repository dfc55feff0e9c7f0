//! API keys (`provider.apiGateway.apiKeys`), the usage plans (`usagePlan`: one, or a list of
//! named plans with their keys listed under their names), and the keys' attachment to their plan.

use serde_json::{json, Map, Value};

use super::api::Api;
use crate::manifest::service::UsagePlan;
use crate::naming;
use crate::plan::{pick, Compiler};

/// The usage plans (with keys or a `usagePlan`, as in v3), one key per entry and one usage plan
/// key per API key. All wait for the deployment, which creates the stage they name.
pub(super) fn compile(c: &mut Compiler, api: &Api, deployment_id: &str) {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    if ag.api_keys.is_empty() && ag.usage_plans.is_empty() {
        return;
    }
    let default_plan = [UsagePlan {
        name: None,
        quota: None,
        throttle: None,
    }];
    let plans = if ag.usage_plans.is_empty() {
        &default_plan[..]
    } else {
        &ag.usage_plans[..]
    };
    for plan in plans {
        let p = usage_plan(c, api, plan);
        c.add(
            naming::rest_api_usage_plan_id(plan.name.as_deref()),
            json!({ "Type": "AWS::ApiGateway::UsagePlan", "DependsOn": deployment_id, "Properties": p }),
        );
    }
    for key in &ag.api_keys {
        let plan = key.plan.as_deref();
        let mut p = Map::new();
        p.insert("Enabled".into(), json!(key.enabled));
        for (k, v) in [
            ("Name", &key.name),
            ("Value", &key.value),
            ("Description", &key.description),
            ("CustomerId", &key.customer_id),
        ] {
            if let Some(v) = v {
                p.insert(k.into(), json!(v));
            }
        }
        p.insert(
            "StageKeys".into(),
            json!([{ "RestApiId": api.id, "StageName": service.stage }]),
        );
        let key_id = naming::rest_api_key_id(key.number, plan);
        c.add(
            key_id.clone(),
            json!({ "Type": "AWS::ApiGateway::ApiKey", "Properties": p, "DependsOn": deployment_id }),
        );
        c.add(
            naming::rest_api_usage_plan_key_id(key.number, plan),
            json!({ "Type": "AWS::ApiGateway::UsagePlanKey", "Properties": { "KeyId": { "Ref": key_id }, "KeyType": "API_KEY", "UsagePlanId": { "Ref": naming::rest_api_usage_plan_id(plan) } } }),
        );
    }
}

/// A usage plan's `Properties`: the stage, v3's name and description, quota and throttle.
fn usage_plan(c: &Compiler, api: &Api, plan: &UsagePlan) -> Map<String, Value> {
    let service = c.service;
    let mut p = Map::new();
    p.insert(
        "ApiStages".into(),
        json!([{ "ApiId": api.id, "Stage": service.stage }]),
    );
    let (description, name) = match &plan.name {
        None => (
            format!("Usage plan for {} {} stage", service.name, service.stage),
            format!("{}-{}", service.name, service.stage),
        ),
        Some(n) => (
            format!(
                "Usage plan \"{n}\" for {} {} stage",
                service.name, service.stage
            ),
            format!("{}-{n}-{}", service.name, service.stage),
        ),
    };
    p.insert("Description".into(), json!(description));
    p.insert("UsagePlanName".into(), json!(name));
    if let Some(q) = &plan.quota {
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
    if let Some(t) = &plan.throttle {
        p.insert(
            "Throttle".into(),
            pick(
                t,
                &[("burstLimit", "BurstLimit"), ("rateLimit", "RateLimit")],
            ),
        );
    }
    p
}
