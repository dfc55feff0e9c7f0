//! Logical IDs and names, exactly as the Serverless Framework v3 makes them, so that a stack v3
//! deployed can be updated by sls-rs without CloudFormation replacing anything. Every generated
//! ID comes from here (see `COMPILE-RULES.md`, section Names).

/// `my-func_name` → `MyDashfuncUnderscorename`: `-` → `Dash`, `_` → `Underscore`, first letter
/// upper-cased, nothing else touched.
pub fn normalize_name(name: &str) -> String {
    let replaced = name.replace('-', "Dash").replace('_', "Underscore");
    upper_first(&replaced)
}

/// Strips everything but ASCII letters and digits, then upper-cases the first letter:
/// `my-bucket.name` → `Mybucketname`. Used for buckets, topics, queues and streams.
pub fn normalize_alnum(name: &str) -> String {
    let kept: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    upper_first(&kept)
}

pub fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// `Get`, `Post`, … from `GET`, `post`.
pub fn method_name(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    upper_first(&lower)
}

/// One part of a URL path: `{userId}` → `UseridVar`, `{proxy+}` → `ProxyVar`,
/// `order-items` → `OrderDashitems`, `snake_case` → `Snakecase`.
pub fn path_part(part: &str) -> String {
    let (core, var) = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(inner) => (inner.trim_end_matches('+'), true),
        None => (part, false),
    };
    let dashed = core.replace('-', "Dash");
    let kept: String = dashed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    // Lower-case all but the first letter (keeping "Dash" readable as v3 does).
    let mut out = String::new();
    for (i, segment) in kept.split("Dash").enumerate() {
        if i > 0 {
            out.push_str("Dash");
        }
        let lower = segment.to_ascii_lowercase();
        out.push_str(&if i == 0 { upper_first(&lower) } else { lower });
    }
    if var {
        out.push_str("Var");
    }
    out
}

/// The normalised form of a whole path: `users/{id}/friends` → `UsersIdVarFriends`.
pub fn path_id(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(path_part)
        .collect()
}

pub fn function_logical_id(key: &str) -> String {
    format!("{}LambdaFunction", normalize_name(key))
}

pub fn log_group_logical_id(key: &str) -> String {
    format!("{}LogGroup", normalize_name(key))
}

pub fn layer_logical_id(key: &str) -> String {
    format!("{}LambdaLayer", normalize_name(key))
}

pub fn version_logical_id(key: &str, hash: &str) -> String {
    let alnum: String = hash.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{}LambdaVersion{}", normalize_name(key), alnum)
}

pub fn rest_api_resource_id(path: &str) -> String {
    format!("ApiGatewayResource{}", path_id(path))
}

pub fn rest_api_method_id(path: &str, method: &str) -> String {
    format!("ApiGatewayMethod{}{}", path_id(path), method_name(method))
}

pub fn lambda_permission_id(key: &str, suffix: &str) -> String {
    format!("{}LambdaPermission{}", normalize_name(key), suffix)
}

/// An API's default name: `<stage>-<service>`, or `<service>-<stage>` with
/// `shouldStartNameWithService`.
pub fn api_name(service: &str, stage: &str, starts_with_service: bool) -> String {
    if starts_with_service {
        format!("{service}-{stage}")
    } else {
        format!("{stage}-{service}")
    }
}

pub const ROLE_ID: &str = "IamRoleLambdaExecution";
pub const BUCKET_ID: &str = "ServerlessDeploymentBucket";
pub const BUCKET_POLICY_ID: &str = "ServerlessDeploymentBucketPolicy";
pub const REST_API_ID: &str = "ApiGatewayRestApi";
pub const HTTP_API_ID: &str = "HttpApi";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_normalisation() {
        assert_eq!(normalize_name("my-func_name"), "MyDashfuncUnderscorename");
        assert_eq!(normalize_name("UPPER"), "UPPER");
        assert_eq!(normalize_name("lowerCamel"), "LowerCamel");
        assert_eq!(path_part("{userId}"), "UseridVar");
        assert_eq!(path_part("{proxy+}"), "ProxyVar");
        assert_eq!(path_part("order-items"), "OrderDashitems");
        assert_eq!(path_part("UsersCamel"), "Userscamel");
        assert_eq!(path_part("snake_case"), "Snakecase");
        assert_eq!(
            path_id("users/{id}/friends/{friendId}"),
            "UsersIdVarFriendsFriendidVar"
        );
        assert_eq!(normalize_alnum("my-bucket-name.2"), "Mybucketname2");
        assert_eq!(normalize_alnum("queue-name_1.fifo"), "Queuename1fifo");
        assert_eq!(method_name("GET"), "Get");
    }
}
