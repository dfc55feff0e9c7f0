//! The HTTP API itself and its `$default` stage, or the one `provider.httpApi.id` names; and
//! the outputs naming it.

use serde_json::{json, Map, Value};

use crate::naming;
use crate::plan::{join, region, Compiler};

/// Adds the `AWS::ApiGatewayV2::Api` and its auto-deployed `$default` stage unless
/// `provider.httpApi.id` names an API made elsewhere. Returns the reference to the API.
pub(super) fn compile(c: &mut Compiler) -> Value {
    let service = c.service;
    let cfg = &service.provider.http_api;
    let api = match &cfg.id {
        Some(id) => id.clone(),
        None => json!({ "Ref": naming::HTTP_API_ID }),
    };
    if cfg.id.is_some() {
        return api;
    }
    let mut p = Map::new();
    p.insert(
        "Name".into(),
        json!(cfg.name.clone().unwrap_or_else(|| naming::api_name(
            &service.name,
            &service.stage,
            cfg.name_starts_with_service
        ))),
    );
    p.insert("ProtocolType".into(), json!("HTTP"));
    if let Some(d) = &cfg.description {
        p.insert("Description".into(), json!(d));
    }
    if let Some(cors) = cfg.cors.as_ref().and_then(super::cors::configuration) {
        p.insert("CorsConfiguration".into(), cors);
    }
    if cfg.disable_default_endpoint {
        p.insert("DisableExecuteApiEndpoint".into(), json!(true));
    }
    // Provider tags go on the API and its stage (as osls, v3's maintained fork, does;
    // v3.40 did so with `useProviderTags`).
    let tags = (!service.provider.tags.is_empty()).then(|| json!(service.provider.tags));
    if let Some(t) = &tags {
        p.insert("Tags".into(), t.clone());
    }
    c.add(
        naming::HTTP_API_ID,
        json!({ "Type": "AWS::ApiGatewayV2::Api", "Properties": p }),
    );
    let mut stage = json!({ "Type": "AWS::ApiGatewayV2::Stage", "Properties": { "ApiId": api, "StageName": "$default", "AutoDeploy": true, "DefaultRouteSettings": { "DetailedMetricsEnabled": cfg.metrics } } });
    if let Some(t) = tags {
        stage["Properties"]["Tags"] = t;
    }
    // `logs.httpApi`: access logs into the stack's own log group (v3's name, retention and
    // data protection).
    if let Some(format) = &cfg.access_log_format {
        let mut group =
            json!({ "LogGroupName": naming::http_api_log_group_name(&service.stack_name()) });
        if let Some(days) = service.provider.log_retention_in_days {
            group["RetentionInDays"] = json!(days);
        }
        if let Some(policy) = &service.provider.log_data_protection_policy {
            group["DataProtectionPolicy"] = policy.clone();
        }
        c.add(
            naming::HTTP_API_LOG_GROUP_ID,
            json!({ "Type": "AWS::Logs::LogGroup", "Properties": group }),
        );
        stage["Properties"]["AccessLogSettings"] = json!({
            "DestinationArn": { "Fn::GetAtt": [naming::HTTP_API_LOG_GROUP_ID, "Arn"] },
            "Format": format,
        });
    }
    c.add(naming::HTTP_API_STAGE_ID, stage);
    api
}

/// The API's ID and URL, for an API the stack creates.
pub(super) fn outputs(c: &mut Compiler, api: &Value) {
    if c.service.provider.http_api.id.is_some() {
        return;
    }
    c.output(
        naming::HTTP_API_ID_OUTPUT,
        Some("Id of the HTTP API"),
        api.clone(),
    );
    c.output(
        naming::HTTP_API_URL_OUTPUT,
        Some("URL of the HTTP API"),
        join(vec![
            json!("https://"),
            api.clone(),
            json!(".execute-api."),
            region(),
            json!("."),
            json!({ "Ref": "AWS::URLSuffix" }),
        ]),
    );
}
