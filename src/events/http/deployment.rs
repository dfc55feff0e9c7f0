//! The deployment that publishes the methods to the stage, its stage settings, and the
//! endpoint output.

use serde_json::json;

use super::api::Api;
use crate::naming;
use crate::plan::{join, region, Compiler};

/// Adds the `AWS::ApiGateway::Deployment` (which creates the stage), after every method;
/// returns its logical ID.
pub(super) fn compile(c: &mut Compiler, api: &Api, methods: &[String]) -> String {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    let id = naming::rest_api_deployment_id(c.deployment.timestamp_ms);
    let mut stage = serde_json::Map::new();
    if service.provider.tracing_api_gateway {
        stage.insert("TracingEnabled".into(), json!(true));
    }
    if ag.metrics {
        stage.insert("MetricsEnabled".into(), json!(true));
    }
    let waits = crate::events::api_logs::rest_stage(c, &mut stage);
    let mut depends: Vec<String> = methods.to_vec();
    depends.extend(waits);
    let mut d = json!({ "Type": "AWS::ApiGateway::Deployment", "Properties": { "RestApiId": api.id, "StageName": service.stage }, "DependsOn": depends });
    if let Some(desc) = &ag.description {
        d["Properties"]["Description"] = json!(desc);
    }
    if !stage.is_empty() {
        d["Properties"]["StageDescription"] = serde_json::Value::Object(stage);
    }
    c.add(id.clone(), d);
    id
}

/// `ServiceEndpoint`: `https://<api>.execute-api.<region>.<suffix>/<stage>`.
pub(super) fn endpoint_output(c: &mut Compiler, api: &Api) {
    let stage = &c.service.stage;
    let url = join(vec![
        json!("https://"),
        api.id.clone(),
        json!(".execute-api."),
        region(),
        json!("."),
        json!({ "Ref": "AWS::URLSuffix" }),
        json!(format!("/{stage}")),
    ]);
    c.output(
        naming::REST_API_ENDPOINT_OUTPUT,
        Some("URL of the service endpoint"),
        url,
    );
}
