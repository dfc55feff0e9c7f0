//! `iot` (an IoT topic rule invoking the function), `iotFleetProvisioning` (a provisioning
//! template whose pre-provisioning hook is the function) and `alexaSkill` / `alexaSmartHome` (a
//! permission for the skill), compiled with v3's logical IDs.

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Iot {
    pub sql: String,
    pub sql_version: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
}

pub fn parse_iot(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Iot> {
    let m = c.map(v, path)?;
    c.unknown_keys(
        m,
        &["sql", "sqlVersion", "name", "enabled", "description"],
        path,
    );
    let Some(sql) = c.opt_string(m, "sql", path) else {
        c.error(
            &path.key("sql"),
            "an iot event needs `sql`, the rule's query",
            "write `sql: \"SELECT * FROM 'my/topic'\"`",
        );
        return None;
    };
    let sql_version = c.opt_string(m, "sqlVersion", path);
    if let Some(v) = &sql_version {
        if !["beta", "2015-10-08", "2016-03-23"].contains(&v.as_str()) {
            c.error(
                &path.key("sqlVersion"),
                format!("`{v}` is not an IoT SQL version"),
                "use 2016-03-23, 2015-10-08 or beta",
            );
            return None;
        }
    }
    let one_line = |s: String| s.replace("\r\n", "").replace('\n', "");
    Some(Iot {
        sql: one_line(sql),
        sql_version: sql_version.map(one_line),
        name: c.opt_string(m, "name", path).map(one_line),
        description: c.opt_string(m, "description", path).map(one_line),
        enabled: c.opt_bool(m, "enabled", path).unwrap_or(true),
    })
}

/// A fleet provisioning template with the function as its pre-provisioning hook.
#[derive(Debug, Clone)]
pub struct FleetProvisioning {
    pub enabled: bool,
    pub role_arn: Value,
    pub template_body: Value,
    pub template_name: Option<String>,
    pub key_path: KeyPath,
}

pub fn parse_fleet_provisioning(
    v: &Value,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<FleetProvisioning> {
    let m = c.map(v, path)?;
    c.unknown_keys(
        m,
        &[
            "enabled",
            "provisioningRoleArn",
            "templateBody",
            "templateName",
        ],
        path,
    );
    let Some(role) = m.get("provisioningRoleArn").filter(|r| !r.is_null()) else {
        c.error(
            &path.key("provisioningRoleArn"),
            "an iotFleetProvisioning event needs `provisioningRoleArn`",
            "add the ARN of the role IoT provisions devices with",
        );
        return None;
    };
    let role_arn = super::arn_value(role, &path.key("provisioningRoleArn"), c, "an IAM role")?;
    let template_body = match m.get("templateBody") {
        Some(b @ Value::Object(_)) => b.clone(),
        Some(other) => {
            c.error(
                &path.key("templateBody"),
                format!(
                    "`templateBody` must be the template as a map, not {}",
                    show(other)
                ),
                "write the provisioning template's Parameters and Resources under it",
            );
            return None;
        }
        None => {
            c.error(
                &path.key("templateBody"),
                "an iotFleetProvisioning event needs `templateBody`",
                "add the provisioning template (Parameters and Resources)",
            );
            return None;
        }
    };
    Some(FleetProvisioning {
        enabled: c.opt_bool(m, "enabled", path).unwrap_or(true),
        role_arn,
        template_body,
        template_name: c.opt_string(m, "templateName", path),
        key_path: path.clone(),
    })
}

/// An Alexa Skill or Smart Home skill allowed to invoke the function.
#[derive(Debug, Clone)]
pub struct Alexa {
    pub app_id: String,
    pub enabled: bool,
}

pub fn parse_alexa(kind: &str, v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Alexa> {
    match v {
        Value::String(id) => Some(Alexa {
            app_id: id.clone(),
            enabled: true,
        }),
        Value::Object(m) => {
            c.unknown_keys(m, &["appId", "enabled"], path);
            let Some(app_id) = c.opt_string(m, "appId", path) else {
                c.error(
                    &path.key("appId"),
                    format!("an {kind} event needs `appId`, the skill's ID"),
                    "write `appId: amzn1.ask.skill.…`",
                );
                return None;
            };
            Some(Alexa {
                app_id,
                enabled: c.opt_bool(m, "enabled", path).unwrap_or(true),
            })
        }
        other => {
            c.error(
                path,
                format!(
                    "an {kind} event must be a skill ID or a map, not {}",
                    show(other)
                ),
                format!("write `{kind}: amzn1.ask.skill.…`"),
            );
            None
        }
    }
}

/// `<Fn>IotTopicRule<N>` with its permission; `<Fn>LambdaPermissionAlexaSkill<N>` and
/// `<Fn>LambdaPermissionAlexaSmartHome<N>`.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    let service = c.service;
    for f in service.functions.values() {
        // Each kind counts its events per function from 1.
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        let mut next = |kind: &'static str| -> usize {
            let n = counts.entry(kind).or_insert(0);
            *n += 1;
            *n
        };
        for e in &f.events {
            match e {
                super::Event::Iot(i) => {
                    let n = next("iot");
                    let rule_id = crate::naming::iot_rule_id(&f.key, n);
                    let mut payload = Map::new();
                    payload.insert("RuleDisabled".into(), json!(!i.enabled));
                    payload.insert("Sql".into(), json!(i.sql));
                    payload.insert(
                        "Actions".into(),
                        json!([{ "Lambda": { "FunctionArn": crate::plan::Compiler::function_arn(&f.key) } }]),
                    );
                    if let Some(d) = &i.description {
                        payload.insert("Description".into(), json!(d));
                    }
                    if let Some(v) = &i.sql_version {
                        payload.insert("AwsIotSqlVersion".into(), json!(v));
                    }
                    let mut props = Map::new();
                    props.insert("TopicRulePayload".into(), Value::Object(payload));
                    if let Some(name) = &i.name {
                        props.insert("RuleName".into(), json!(name));
                    }
                    c.add(
                        rule_id.clone(),
                        json!({ "Type": "AWS::IoT::TopicRule", "Properties": props }),
                    );
                    c.add(
                        crate::naming::iot_permission_id(&f.key, n),
                        crate::plan::permission(
                            &f.key,
                            "iot.amazonaws.com",
                            Some(json!({ "Fn::Join": ["", [
                                "arn:", { "Ref": "AWS::Partition" }, ":iot:", { "Ref": "AWS::Region" },
                                ":", { "Ref": "AWS::AccountId" }, ":rule/", { "Ref": rule_id }
                            ]] })),
                        ),
                    );
                }
                super::Event::IotFleetProvisioning(p) => {
                    if next("iotFleetProvisioning") > 1 {
                        c.diags.push(
                            crate::error::Diagnostic::error(format!(
                                "function `{}` has more than one iotFleetProvisioning event",
                                f.key
                            ))
                            .at(&p.key_path)
                            .hint("a function is the pre-provisioning hook of one template; give each template its own function"),
                        );
                        continue;
                    }
                    let permission = crate::naming::iot_provisioning_permission_id(&f.key);
                    let mut props = Map::new();
                    props.insert("Enabled".into(), json!(p.enabled));
                    props.insert(
                        "PreProvisioningHook".into(),
                        json!({ "TargetArn": crate::plan::Compiler::function_arn(&f.key) }),
                    );
                    props.insert("ProvisioningRoleArn".into(), p.role_arn.clone());
                    props.insert("TemplateBody".into(), json!(p.template_body.to_string()));
                    if let Some(n) = &p.template_name {
                        props.insert("TemplateName".into(), json!(n));
                    }
                    c.add(
                        crate::naming::iot_provisioning_template_id(&f.key),
                        json!({ "Type": "AWS::IoT::ProvisioningTemplate", "Properties": props, "DependsOn": [permission] }),
                    );
                    // Only IoT in this account may call the hook (v3 allows any account's).
                    let mut perm = crate::plan::permission(&f.key, "iot.amazonaws.com", None);
                    perm["Properties"]["SourceAccount"] = json!({ "Ref": "AWS::AccountId" });
                    c.add(permission, perm);
                }
                super::Event::AlexaSkill(a) => {
                    let n = next("alexaSkill");
                    c.add(
                        crate::naming::alexa_skill_permission_id(&f.key, n),
                        alexa_permission(&f.key, a, "alexa-appkit.amazon.com"),
                    );
                }
                super::Event::AlexaSmartHome(a) => {
                    let n = next("alexaSmartHome");
                    c.add(
                        crate::naming::alexa_smart_home_permission_id(&f.key, n),
                        alexa_permission(&f.key, a, "alexa-connectedhome.amazon.com"),
                    );
                }
                _ => {}
            }
        }
    }
}

fn alexa_permission(key: &str, a: &Alexa, principal: &str) -> Value {
    let mut p = crate::plan::permission(key, principal, None);
    if !a.enabled {
        p["Properties"]["Action"] = json!("lambda:DisableInvokeFunction");
    }
    p["Properties"]["EventSourceToken"] = json!(a.app_id.replace(['\n', '\r'], ""));
    p
}
