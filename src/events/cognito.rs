//! `cognitoUserPool` events: a Cognito user pool the stack creates, with the function as one of
//! its Lambda triggers; or, with `existing: true`, a pool made elsewhere, whose triggers v3's
//! `Custom::CognitoUserPool` sets (one per function, with every trigger of its events).

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};
use crate::naming;
use crate::plan::Compiler;

/// The triggers a user pool has.
const TRIGGERS: &[&str] = &[
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "PreTokenGeneration",
    "CustomMessage",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "UserMigration",
    "CustomSMSSender",
    "CustomEmailSender",
];

/// Triggers whose messages are encrypted with a KMS key the pool names.
const SENDERS: &[&str] = &["CustomSMSSender", "CustomEmailSender"];

#[derive(Debug, Clone)]
pub struct CognitoUserPool {
    pub pool: String,
    pub trigger: String,
    /// The KMS key of a custom sender trigger.
    pub kms_key_id: Option<Value>,
    /// A pool made elsewhere.
    pub existing: bool,
    /// Apply an existing pool's triggers again on every deploy.
    pub force_deploy: bool,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<CognitoUserPool> {
    let Value::Object(m) = v else {
        c.error(
            path,
            format!("a cognitoUserPool event must be a map, not {}", show(v)),
            "write `cognitoUserPool: { pool: MyPool, trigger: PreSignUp }`",
        );
        return None;
    };
    c.unknown_keys(
        m,
        &["pool", "trigger", "existing", "forceDeploy", "kmsKeyId"],
        path,
    );
    let existing = c.opt_bool(m, "existing", path) == Some(true);
    let force_deploy = c.opt_bool(m, "forceDeploy", path) == Some(true);
    if m.contains_key("forceDeploy") && !existing {
        c.warn(
            &path.key("forceDeploy"),
            "`forceDeploy` has no effect on a pool the stack creates (it re-applies an existing pool's triggers)",
            "remove it",
        );
    }
    let Some(pool) = c.opt_string(m, "pool", path) else {
        c.error(
            &path.key("pool"),
            "cognitoUserPool event has no `pool`",
            "add `pool: MyUserPool`",
        );
        return None;
    };
    if pool.is_empty()
        || pool.len() > 128
        || !pool
            .chars()
            .all(|ch| ch.is_alphanumeric() || "_ +=,.@-".contains(ch))
    {
        c.error(
            &path.key("pool"),
            format!("`{pool}` is not a user pool name"),
            "use up to 128 letters, digits, spaces and + = , . @ - _",
        );
        return None;
    }
    let Some(trigger) = c.opt_string(m, "trigger", path) else {
        c.error(
            &path.key("trigger"),
            "cognitoUserPool event has no `trigger`",
            format!("add `trigger:` with one of {}", TRIGGERS.join(", ")),
        );
        return None;
    };
    if !TRIGGERS.contains(&trigger.as_str()) {
        c.error(
            &path.key("trigger"),
            format!("`{trigger}` is not a user pool trigger"),
            format!("use one of {}", TRIGGERS.join(", ")),
        );
        return None;
    }
    let kms_key_id = m.get("kmsKeyId").filter(|k| !k.is_null()).cloned();
    if SENDERS.contains(&trigger.as_str()) && kms_key_id.is_none() {
        c.error(
            &path.key("kmsKeyId"),
            format!("the `{trigger}` trigger needs `kmsKeyId`"),
            "add the ARN of the KMS key Cognito encrypts the codes with",
        );
        return None;
    }
    Some(CognitoUserPool {
        pool,
        trigger,
        kms_key_id,
        existing,
        force_deploy,
        key_path: path.clone(),
    })
}

/// One user pool per pool name with every trigger its events name, and Cognito's permission
/// to invoke each trigger's function.
pub(crate) fn compile(c: &mut Compiler) {
    let all = super::of_kind(c.service, |e| match e {
        super::Event::CognitoUserPool(p) => Some(p),
        _ => None,
    });
    let (existing, events): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, e)| e.existing);
    for (_, e) in &existing {
        if events.iter().any(|(_, o)| o.pool == e.pool) {
            c.diags.push(
                crate::error::Diagnostic::error(format!(
                    "user pool `{}` is used both with and without `existing: true`",
                    e.pool
                ))
                .at(&e.key_path.key("existing"))
                .hint("a pool is either made by this stack or elsewhere; mark every event of it the same way"),
            );
            return;
        }
    }
    compile_existing(c, &existing);
    let mut pools: Vec<&str> = Vec::new();
    for (_, e) in &events {
        if !pools.contains(&e.pool.as_str()) {
            pools.push(&e.pool);
        }
    }
    for pool in pools {
        let mut config = Map::new();
        let mut kms: Option<&Value> = None;
        for (f, e) in events.iter().filter(|(_, e)| e.pool == pool) {
            let target = Compiler::function_arn(&f.key);
            if SENDERS.contains(&e.trigger.as_str()) {
                config.insert(
                    e.trigger.clone(),
                    json!({ "LambdaArn": target, "LambdaVersion": "V1_0" }),
                );
                let key = e.kms_key_id.as_ref();
                if kms.is_some() && kms != key {
                    c.diags.push(
                        crate::error::Diagnostic::error(format!(
                            "user pool `{pool}` is given two KMS keys"
                        ))
                        .at(&e.key_path.key("kmsKeyId"))
                        .hint("a pool encrypts its custom senders' codes with one key; use the same `kmsKeyId`"),
                    );
                }
                kms = kms.or(key);
            } else {
                config.insert(e.trigger.clone(), target);
            }
        }
        if let Some(k) = kms {
            config.insert("KMSKeyID".into(), k.clone());
        }
        let pool_id = naming::cognito_user_pool_id(pool);
        // v3 also lists the trigger functions in DependsOn, which their GetAtts imply (W3005).
        c.add(
            pool_id.clone(),
            json!({ "Type": "AWS::Cognito::UserPool", "Properties": { "UserPoolName": pool, "LambdaConfig": config } }),
        );
        for (f, e) in events.iter().filter(|(_, e)| e.pool == pool) {
            c.add(
                naming::cognito_user_pool_permission_id(&f.key, pool, &e.trigger),
                crate::plan::permission(
                    &f.key,
                    "cognito-idp.amazonaws.com",
                    Some(json!({ "Fn::GetAtt": [pool_id, "Arn"] })),
                ),
            );
        }
    }
}

/// Pools made elsewhere: per function, one `Custom::CognitoUserPool` with the triggers of its
/// events, which v3's handler sets on the pool (and Cognito's permission to invoke it). Two
/// resources on one pool run one after the other, as in v3.
fn compile_existing(
    c: &mut Compiler,
    events: &[(&crate::manifest::service::Function, &CognitoUserPool)],
) {
    use crate::plan::custom_resources::{self, Handler};
    if events.is_empty() {
        return;
    }
    let mut functions: Vec<&crate::manifest::service::Function> = Vec::new();
    for (f, _) in events {
        if !functions.iter().any(|g| g.key == f.key) {
            functions.push(f);
        }
    }
    let mut statements = vec![
        json!({ "Effect": "Allow", "Resource": "*", "Action": ["cognito-idp:ListUserPools", "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"] }),
    ];
    let mut per_pool: Vec<(&str, String)> = Vec::new();
    let mut pool_keys: Vec<(&str, &Value)> = Vec::new();
    for f in functions {
        let mine: Vec<&CognitoUserPool> = events
            .iter()
            .filter(|(g, _)| g.key == f.key)
            .map(|(_, e)| *e)
            .collect();
        let pool = mine[0].pool.as_str();
        if let Some(other) = mine.iter().find(|e| e.pool != pool) {
            c.diags.push(
                crate::error::Diagnostic::error(format!(
                    "function `{}` sets triggers on two existing user pools, `{pool}` and `{}`",
                    f.key, other.pool
                ))
                .at(&other.key_path.key("pool"))
                .hint("v3 sets one existing pool's triggers per function; use a second function for the other pool"),
            );
            return;
        }
        let mut configs = Vec::new();
        for e in &mine {
            let mut config = json!({ "Trigger": e.trigger });
            if SENDERS.contains(&e.trigger.as_str()) {
                config["LambdaVersion"] = json!("V1_0");
                let key = e.kms_key_id.clone().unwrap_or(Value::Null);
                if let Some((_, k)) = pool_keys.iter().find(|(p, _)| *p == pool) {
                    if **k != key {
                        c.diags.push(
                            crate::error::Diagnostic::error(format!(
                                "user pool `{pool}` is given two KMS keys"
                            ))
                            .at(&e.key_path.key("kmsKeyId"))
                            .hint("a pool encrypts its custom senders' codes with one key; use the same `kmsKeyId`"),
                        );
                        return;
                    }
                } else {
                    pool_keys.push((pool, e.kms_key_id.as_ref().unwrap_or(&Value::Null)));
                }
                config["KMSKeyID"] = key.clone();
                let grant =
                    json!({ "Effect": "Allow", "Resource": key, "Action": ["kms:CreateGrant"] });
                if !statements.contains(&grant) {
                    statements.push(grant);
                }
            }
            configs.push(config);
        }
        let id = naming::cognito_existing_pool_id(&f.key);
        // v3 also lists the handler, which the ServiceToken's GetAtt implies (cfn-lint W3005).
        let mut depends = vec![json!(naming::function_logical_id(&f.key))];
        if let Some((_, previous)) = per_pool.iter().rev().find(|(p, _)| *p == pool) {
            depends.push(json!(previous));
        }
        let mut props = json!({
            "ServiceToken": { "Fn::GetAtt": [Handler::ExistingCognitoUserPool.function_id(), "Arn"] },
            "FunctionName": f.name,
            "UserPoolName": pool,
            "UserPoolConfigs": configs,
        });
        if mine.iter().any(|e| e.force_deploy) {
            props["ForceDeploy"] = json!(c.deployment.timestamp_ms.to_string());
        }
        c.add(
            id.clone(),
            json!({ "Type": "Custom::CognitoUserPool", "DependsOn": depends, "Properties": props }),
        );
        per_pool.push((pool, id));
        statements.push(json!({ "Effect": "Allow", "Resource": { "Fn::Sub": format!("arn:${{AWS::Partition}}:lambda:*:*:function:{}", f.name) }, "Action": ["lambda:AddPermission", "lambda:RemovePermission"] }));
    }
    statements.push(json!({ "Effect": "Allow", "Resource": { "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*" }, "Action": ["lambda:RemovePermission"] }));
    statements.push(json!({ "Effect": "Allow", "Resource": { "Fn::Sub": "arn:${AWS::Partition}:iam::*:role/*" }, "Action": ["iam:PassRole"] }));
    custom_resources::add(c, Handler::ExistingCognitoUserPool, statements);
}
