//! Authorizers: `aws_iam`, Cognito user pools, and Lambda (TOKEN or REQUEST) authorizers,
//! one `AWS::ApiGateway::Authorizer` per name, shared by the methods that use it.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::api::Api;
use super::Events;
use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{show, Checker};
use crate::naming;
use crate::plan::Compiler;

#[derive(Debug, Clone, PartialEq)]
pub enum Authorizer {
    AwsIam,
    Cognito {
        name: String,
        arn: Value,
        identity_source: String,
        scopes: Vec<String>,
    },
    Lambda {
        name: String,
        /// The function key when the authorizer is a function of this service.
        function: Option<String>,
        arn: Option<Value>,
        kind: String,
        identity_source: String,
        result_ttl: i64,
        identity_validation_expression: Option<String>,
    },
}

impl Authorizer {
    pub fn authorization_type(&self) -> &'static str {
        match self {
            Authorizer::AwsIam => "AWS_IAM",
            Authorizer::Cognito { .. } => "COGNITO_USER_POOLS",
            Authorizer::Lambda { .. } => "CUSTOM",
        }
    }

    /// The logical ID of the authorizer a method refers to; `None` for `aws_iam`.
    pub(super) fn logical_id(&self) -> Option<String> {
        match self {
            Authorizer::AwsIam => None,
            Authorizer::Cognito { name, .. } | Authorizer::Lambda { name, .. } => {
                Some(naming::rest_api_authorizer_id(name))
            }
        }
    }
}

const DEFAULT_IDENTITY_SOURCE: &str = "method.request.header.Authorization";

/// A Lambda authorizer with v3's defaults.
fn lambda(name: String, function: Option<String>, arn: Option<Value>) -> Authorizer {
    Authorizer::Lambda {
        name,
        function,
        arn,
        kind: "TOKEN".into(),
        identity_source: DEFAULT_IDENTITY_SOURCE.into(),
        result_ttl: 300,
        identity_validation_expression: None,
    }
}

pub(super) fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("aws_iam") => Some(Authorizer::AwsIam),
        Value::String(s) if s.starts_with("arn:") && s.contains(":cognito-idp:") => {
            Some(Authorizer::Cognito {
                name: naming::authorizer_name_from_arn(s),
                arn: v.clone(),
                identity_source: DEFAULT_IDENTITY_SOURCE.into(),
                scopes: Vec::new(),
            })
        }
        Value::String(s) if s.starts_with("arn:") => Some(lambda(
            naming::authorizer_name_from_arn(s),
            None,
            Some(v.clone()),
        )),
        Value::String(s) => Some(lambda(s.clone(), Some(s.clone()), None)),
        Value::Object(m) => parse_map(m, path, c),
        other => {
            c.error(
                path,
                format!(
                    "`authorizer` must be a name, an ARN or a map, not {}",
                    show(other)
                ),
                "e.g. `authorizer: aws_iam` or `authorizer: { name: auth }`",
            );
            None
        }
    }
}

/// `authorizer: { name, arn, type, … }`: Cognito when the type or the ARN says so, otherwise
/// a Lambda authorizer.
fn parse_map(m: &Map<String, Value>, path: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    c.unknown_keys(
        m,
        &[
            "name",
            "arn",
            "type",
            "identitySource",
            "resultTtlInSeconds",
            "identityValidationExpression",
            "scopes",
            "authorizerId",
            "managedExternally",
            // Read with the integration, which passes them on.
            "claims",
        ],
        path,
    );
    let kind = c
        .opt_string(m, "type", path)
        .map(|t| t.to_ascii_uppercase());
    if kind.as_deref() == Some("AWS_IAM") {
        return Some(Authorizer::AwsIam);
    }
    let arn = m.get("arn").cloned();
    let name = c.opt_string(m, "name", path);
    let is_cognito = kind.as_deref() == Some("COGNITO_USER_POOLS")
        || arn
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|a| a.contains(":cognito-idp:"));
    let identity_source = c
        .opt_string(m, "identitySource", path)
        .unwrap_or_else(|| DEFAULT_IDENTITY_SOURCE.into());
    let scopes = match m.get("scopes") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    if is_cognito {
        let Some(arn) = arn else {
            c.error(
                path,
                "a Cognito authorizer needs the user pool `arn`",
                "add `arn: arn:aws:cognito-idp:…:userpool/…`",
            );
            return None;
        };
        let name = name.unwrap_or_else(|| {
            arn.as_str()
                .map(naming::authorizer_name_from_arn)
                .unwrap_or_else(|| "CognitoAuthorizer".into())
        });
        return Some(Authorizer::Cognito {
            name,
            arn,
            identity_source,
            scopes,
        });
    }
    parse_lambda(m, path, c, kind, name, arn, identity_source)
}

/// The Lambda half of [`parse_map`], once `type`, `name`, `arn` and `identitySource` are read.
fn parse_lambda(
    m: &Map<String, Value>,
    path: &KeyPath,
    c: &mut Checker,
    kind: Option<String>,
    name: Option<String>,
    arn: Option<Value>,
    identity_source: String,
) -> Option<Authorizer> {
    let kind = kind.unwrap_or_else(|| "TOKEN".into());
    if kind != "TOKEN" && kind != "REQUEST" {
        c.error(
            &path.key("type"),
            format!("authorizer type `{kind}` is not one API Gateway has"),
            "use TOKEN, REQUEST, COGNITO_USER_POOLS or AWS_IAM",
        );
        return None;
    }
    let (name, function) = match (&name, &arn) {
        (Some(n), None) => (n.clone(), Some(n.clone())),
        (Some(n), Some(_)) => (n.clone(), None),
        (None, Some(Value::String(a))) => (naming::authorizer_name_from_arn(a), None),
        _ => {
            c.error(
                path,
                "an authorizer needs `name` (a function of this service) or `arn`",
                "add `name: myAuthorizerFunction`",
            );
            return None;
        }
    };
    let ttl = c
        .opt_int(m, "resultTtlInSeconds", path, 0, 3600)
        .unwrap_or(300);
    Some(Authorizer::Lambda {
        name,
        function,
        arn,
        kind,
        identity_source,
        result_ttl: ttl,
        identity_validation_expression: c.opt_string(m, "identityValidationExpression", path),
    })
}

/// One authorizer per name, in order of first use; two events that configure one name
/// differently are an error.
pub(super) fn compile(c: &mut Compiler, api: &Api, events: &Events) {
    let mut authorizers: IndexMap<String, Value> = IndexMap::new();
    for (_, h) in events {
        let Some((name, props)) = h.authorizer.as_ref().and_then(|a| properties(a, api)) else {
            continue;
        };
        if let Some(existing) = authorizers.get(&name) {
            if existing != &props {
                c.diags.push(
                    Diagnostic::error(format!("authorizer `{name}` is configured differently on two events"))
                        .at(&h.key_path.key("authorizer"))
                        .hint("an authorizer is shared by name: give both events the same settings, or different names"),
                );
            }
            continue;
        }
        authorizers.insert(name, props);
    }
    for (name, props) in &authorizers {
        c.add(
            naming::rest_api_authorizer_id(name),
            json!({ "Type": "AWS::ApiGateway::Authorizer", "Properties": props }),
        );
    }
}

/// The name and `Properties` of an authorizer resource; `None` for `aws_iam` and for a
/// Lambda authorizer with neither function nor ARN.
fn properties(a: &Authorizer, api: &Api) -> Option<(String, Value)> {
    match a {
        Authorizer::AwsIam => None,
        Authorizer::Cognito {
            name,
            arn,
            identity_source,
            ..
        } => Some((
            name.clone(),
            json!({ "AuthorizerResultTtlInSeconds": 300, "IdentitySource": identity_source, "Name": name, "RestApiId": api.id, "Type": "COGNITO_USER_POOLS", "ProviderARNs": [arn] }),
        )),
        Authorizer::Lambda {
            name,
            function,
            arn,
            kind,
            identity_source,
            result_ttl,
            identity_validation_expression,
        } => {
            let target = match (function, arn) {
                (Some(fkey), _) => Compiler::function_arn(fkey),
                (None, Some(arn)) => arn.clone(),
                (None, None) => return None,
            };
            let mut p = Map::new();
            // v3 writes the TTL for Lambda authorizers only when it is not the default.
            if *result_ttl != 300 {
                p.insert("AuthorizerResultTtlInSeconds".into(), json!(result_ttl));
            }
            p.insert("IdentitySource".into(), json!(identity_source));
            p.insert("Name".into(), json!(name));
            p.insert("RestApiId".into(), api.id.clone());
            p.insert("AuthorizerUri".into(), crate::plan::invoke_uri(target));
            p.insert("Type".into(), json!(kind));
            if let Some(e) = identity_validation_expression {
                p.insert("IdentityValidationExpression".into(), json!(e));
            }
            Some((name.clone(), Value::Object(p)))
        }
    }
}
