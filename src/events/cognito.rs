//! `cognitoUserPool` events: a Cognito user pool the stack creates, with the function as one of
//! its Lambda triggers. Pools made elsewhere (`existing: true`) need a custom resource and are
//! refused for now.

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
    if c.opt_bool(m, "existing", path) == Some(true) {
        c.error(
            &path.key("existing"),
            "triggers on a user pool made outside the stack (`existing: true`) are not supported by sls-rs yet",
            "let the stack create the pool (remove `existing`), or set the trigger on the pool where it is defined",
        );
        return None;
    }
    if m.contains_key("forceDeploy") {
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
        key_path: path.clone(),
    })
}

/// One user pool per pool name with every trigger its events name, and Cognito's permission
/// to invoke each trigger's function.
pub(crate) fn compile(c: &mut Compiler) {
    let events = super::of_kind(c.service, |e| match e {
        super::Event::CognitoUserPool(p) => Some(p),
        _ => None,
    });
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
