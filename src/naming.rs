//! Logical IDs and names, exactly as the Serverless Framework v3 makes them, so that a stack v3
//! deployed can be updated by sls-rs without CloudFormation replacing anything. Every generated
//! ID comes from here (see `tests/fixtures/v3/COMPILE-RULES.md`, section Names).

// ── Normalisation ────────────────────────────────────────────────────────────────────────

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

// ── Functions ────────────────────────────────────────────────────────────────────────────

pub fn function_logical_id(key: &str) -> String {
    format!("{}LambdaFunction", normalize_name(key))
}

pub fn log_group_logical_id(key: &str) -> String {
    format!("{}LogGroup", normalize_name(key))
}

pub fn version_logical_id(key: &str, hash: &str) -> String {
    let alnum: String = hash.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{}LambdaVersion{}", normalize_name(key), alnum)
}

/// `worker` → `WorkerProvConcLambdaAlias`: the `provisioned` alias of a function with
/// provisioned concurrency.
pub fn provisioned_alias_id(function: &str) -> String {
    format!("{}ProvConcLambdaAlias", normalize_name(function))
}

/// The alias events invoke on a function with provisioned concurrency, and on a SnapStart one.
pub const PROVISIONED_ALIAS: &str = "provisioned";
pub const SNAP_START_ALIAS: &str = "snapstart";

/// `worker` → `WorkerSnapStartLambdaAlias`: the `snapstart` alias of a SnapStart function.
pub fn snap_start_alias_id(function: &str) -> String {
    format!("{}SnapStartLambdaAlias", normalize_name(function))
}

/// `worker` → `WorkerLambdaEvConf`: the function's EventInvokeConfig (destinations, maximum
/// event age and retries).
pub fn event_invoke_config_id(function: &str) -> String {
    format!("{}LambdaEvConf", normalize_name(function))
}

/// `hello` → `HelloLambdaFunctionUrl`: the function's URL, and the output holding its address.
pub fn function_url_id(function: &str) -> String {
    format!("{}{FUNCTION_URL_SUFFIX}", normalize_name(function))
}

/// Whether an ID (or output key) is a function URL's: `HelloLambdaFunctionUrl` → true.
pub fn is_function_url_id(id: &str) -> bool {
    id.ends_with(FUNCTION_URL_SUFFIX)
}

const FUNCTION_URL_SUFFIX: &str = "LambdaFunctionUrl";

/// `hello` → `HelloLambdaPermissionFnUrl`: lets anyone call a public (`authorizer: none`) URL.
pub fn function_url_permission_id(function: &str) -> String {
    lambda_permission_id(function, "FnUrl")
}

/// `hello` → `HelloLambdaPermissionFn`: the `lambda:InvokeFunction` a public URL also needs
/// since October 2025 (osls's name; v3 predates it).
pub fn function_url_invoke_permission_id(function: &str) -> String {
    lambda_permission_id(function, "Fn")
}

// ── Layers ───────────────────────────────────────────────────────────────────────────────

/// `tools-bin` → `ToolsDashbinLambdaLayer`.
pub fn layer_logical_id(key: &str) -> String {
    format!("{}{LAYER_SUFFIX}", normalize_name(key))
}

/// Whether an ID names a (not retained) layer: `CommonLibsLambdaLayer` → true.
pub fn is_layer_logical_id(id: &str) -> bool {
    id.ends_with(LAYER_SUFFIX)
}

const LAYER_SUFFIX: &str = "LambdaLayer";

/// `shared`, `4bdb60f6…` → `SharedLambdaLayer4bdb60f6…`: a retained layer (`retain: true`)
/// is never deleted, so each content is a new resource, named by the first 40 hex digits of
/// its hash.
pub fn retained_layer_id(key: &str, sha256_hex: &str) -> String {
    let digits = &sha256_hex[..40.min(sha256_hex.len())];
    format!("{}{digits}", layer_logical_id(key))
}

/// `tools-bin`, `123456789012` → `ToolsDashbin123456789012LambdaLayerPermission`; the
/// account `*` gives `ToolsDashbinWildLambdaLayerPermission`.
pub fn layer_permission_id(key: &str, account: &str) -> String {
    let label = if account == "*" { "Wild" } else { account };
    format!("{}{label}LambdaLayerPermission", normalize_name(key))
}

// ── Service-wide ─────────────────────────────────────────────────────────────────────────

pub const ROLE_ID: &str = "IamRoleLambdaExecution";

/// A function's name in AWS when the configuration gives none: `<service>-<stage>-<key>`.
pub fn default_function_name(service: &str, stage: &str, key: &str) -> String {
    format!("{service}-{stage}-{key}")
}

/// The shared execution role's default name: `<service>-<stage>-<region>-lambdaRole`, the
/// region from the stack (`AWS::Region`).
pub fn role_name(service: &str, stage: &str) -> serde_json::Value {
    serde_json::json!({ "Fn::Join": ["-", [service, stage, { "Ref": "AWS::Region" }, "lambdaRole"]] })
}

/// A function's log group: `/aws/lambda/<function name>`.
pub fn log_group_name(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

/// The ECR repository built images are pushed to: `My_Svc`, `dev` → `serverless-my_svc-dev`
/// (lower-cased, runs of `-` made one, no trailing `-`; v3's name, so a service v3 deployed
/// keeps its repository).
pub fn ecr_repository_name(service: &str, stage: &str) -> String {
    let raw = format!("serverless-{service}-{stage}").to_lowercase();
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if !(ch == '-' && out.ends_with('-')) {
            out.push(ch);
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An image of `provider.ecr.images` before it is pushed (a dry run): its tag in the service's
/// repository, `<account>.dkr.ecr.<region>.<suffix>/<repository>:<name>`, for CloudFormation
/// to fill in.
pub fn ecr_image_tag_uri(repository: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "Fn::Sub": format!("${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repository}:{name}")
    })
}
/// Slot 7 → `FunctionsNestedStack07`: a nested stack of functions, once the service is past
/// one stack's limits (`plan::split`).
pub fn nested_stack_id(slot: u64) -> String {
    format!("FunctionsNestedStack{slot:02}")
}

/// Whether `id` is one of [`nested_stack_id`]'s: `FunctionsNestedStack07` is, `MyStack` is not.
pub fn is_nested_stack_id(id: &str) -> bool {
    id.strip_prefix("FunctionsNestedStack")
        .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The output (of the stack holding `target`) and parameter (of a stack referring to it) that
/// carry a reference across stacks: `Ref: F3LambdaFunction` → `F3LambdaFunction`,
/// `GetAtt F3LambdaFunction.Arn` → `F3LambdaFunctionAttrArn`.
pub fn nested_reference(target: &str, attribute: Option<&str>) -> String {
    match attribute {
        None => target.to_string(),
        Some(a) => format!(
            "{target}Attr{}",
            a.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        ),
    }
}

/// `FunctionsNestedStack07` → `cloudformation-template-nested-FunctionsNestedStack07.json`, its
/// template in the package and beside the zips in the bucket.
pub fn nested_template_file(id: &str) -> String {
    format!("cloudformation-template-nested-{id}.json")
}

pub const NESTED_TEMPLATE_PREFIX: &str = "cloudformation-template-nested-";

pub const BUCKET_ID: &str = "ServerlessDeploymentBucket";
pub const BUCKET_POLICY_ID: &str = "ServerlessDeploymentBucketPolicy";

/// `hello`, `S3` → `HelloLambdaPermissionS3`: a function's invoke permission, with the
/// suffix naming the service that may invoke it. The event kinds below wrap this.
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

// ── Outputs and exports ──────────────────────────────────────────────────────────────────

/// The output holding the deployment bucket's name, first in every template.
pub const DEPLOYMENT_BUCKET_NAME_OUTPUT: &str = "ServerlessDeploymentBucketName";

/// The name a generated output is exported under: `naming-svc`, `dev`,
/// `ServerlessDeploymentBucketName` → `sls-naming-svc-dev-ServerlessDeploymentBucketName`.
pub fn export_name(service: &str, stage: &str, key: &str) -> String {
    format!("sls-{service}-{stage}-{key}")
}

/// `hello` → `HelloLambdaFunctionQualifiedArn`: the output holding the current version's ARN.
pub fn function_qualified_arn_output(function: &str) -> String {
    format!("{}QualifiedArn", function_logical_id(function))
}

/// `commonLibs` → `CommonLibsLambdaLayerQualifiedArn`: the current layer version's ARN
/// (`commands::info` reads it back).
pub fn layer_qualified_arn_output(key: &str) -> String {
    format!("{}QualifiedArn", layer_logical_id(key))
}

/// `commonLibs` → `CommonLibsLambdaLayerHash`: the layer zip's hash.
pub fn layer_hash_output(key: &str) -> String {
    format!("{}Hash", layer_logical_id(key))
}

/// `commonLibs` → `CommonLibsLambdaLayerS3Key`: where the layer zip was uploaded.
pub fn layer_s3_key_output(key: &str) -> String {
    format!("{}S3Key", layer_logical_id(key))
}

// ── http: the REST API ───────────────────────────────────────────────────────────────────

pub const REST_API_ID: &str = "ApiGatewayRestApi";
/// `my-svc` → `ApiGatewayMysvcRequestValidator`: the API's one request validator, named by the
/// service (letters and digits only).
pub fn rest_api_request_validator_id(service: &str) -> String {
    format!("ApiGateway{}RequestValidator", normalize_alnum(service))
}
/// `None` → `ApiGatewayUsagePlan` (the service's one plan), `Some("free")` →
/// `ApiGatewayUsagePlanFree` (a named plan of a `usagePlan` list).
pub fn rest_api_usage_plan_id(name: Option<&str>) -> String {
    format!(
        "ApiGatewayUsagePlan{}",
        name.map(upper_first).unwrap_or_default()
    )
}
/// The output holding the REST API's URL (`commands::info` reads it back).
pub const REST_API_ENDPOINT_OUTPUT: &str = "ServiceEndpoint";

/// `users/{id}` → `ApiGatewayResourceUsersIdVar`: the resource of one path prefix.
pub fn rest_api_resource_id(path: &str) -> String {
    format!("ApiGatewayResource{}", path_id(path))
}

/// `users/{id}`, `GET` → `ApiGatewayMethodUsersIdVarGet`; the root path gives
/// `ApiGatewayMethodGet`.
pub fn rest_api_method_id(path: &str, method: &str) -> String {
    method_id_for_resource(&path_id(path), method)
}

/// v3's `getMethodLogicalId`: the method from its resource's name (`UsersIdVar`, a normalized
/// path; empty for the root).
pub fn method_id_for_resource(resource: &str, method: &str) -> String {
    format!("ApiGatewayMethod{resource}{}", method_name(method))
}

/// `cog-auth` → `CogDashauthApiGatewayAuthorizer`: one authorizer per name.
pub fn rest_api_authorizer_id(name: &str) -> String {
    format!("{}ApiGatewayAuthorizer", normalize_name(name))
}

/// `arn:…:function:svc-dev-auth` → `auth`: the name of a REST API authorizer given by ARN
/// alone, v3's way (the ARN's last `:` part, then its last `-` part, which assumes v3's
/// function naming), so the authorizer keeps its logical ID.
pub fn authorizer_name_from_arn(arn: &str) -> String {
    let last = arn.rsplit(':').next().unwrap_or(arn);
    last.rsplit('-').next().unwrap_or(last).to_string()
}

/// `1795700980438` → `ApiGatewayDeployment1795700980438`: named by the deployment time, so
/// every deploy makes a new deployment (and so a new stage snapshot), as v3 does.
pub fn rest_api_deployment_id(timestamp_ms: u64) -> String {
    format!("ApiGatewayDeployment{timestamp_ms}")
}

/// `1` → `ApiGatewayApiKey1`: the n-th key (1-based) of `provider.apiGateway.apiKeys`;
/// `1, Some("free")` → `ApiGatewayApiKeyFree1`, the first key listed under plan `free`.
pub fn rest_api_key_id(n: usize, plan: Option<&str>) -> String {
    format!(
        "ApiGatewayApiKey{}{n}",
        plan.map(upper_first).unwrap_or_default()
    )
}

/// `1` → `ApiGatewayUsagePlanKey1`: attaches that API key to its usage plan.
pub fn rest_api_usage_plan_key_id(n: usize, plan: Option<&str>) -> String {
    format!(
        "ApiGatewayUsagePlanKey{}{n}",
        plan.map(upper_first).unwrap_or_default()
    )
}

/// `hello` → `HelloLambdaPermissionApiGateway`: one per function the REST API invokes.
pub fn rest_api_permission_id(function: &str) -> String {
    lambda_permission_id(function, "ApiGateway")
}

// ── httpApi: the HTTP API ────────────────────────────────────────────────────────────────

pub const HTTP_API_ID: &str = "HttpApi";
/// The `$default` stage of an HTTP API the stack creates.
pub const HTTP_API_STAGE_ID: &str = "HttpApiStage";
/// The log group of the HTTP API's access logs (`provider.logs.httpApi`).
pub const HTTP_API_LOG_GROUP_ID: &str = "HttpApiLogGroup";

/// `svc-dev` → `/aws/http-api/svc-dev`: the HTTP API's access log group, named by the stack.
pub fn http_api_log_group_name(stack: &str) -> String {
    format!("/aws/http-api/{stack}")
}
pub const HTTP_API_ID_OUTPUT: &str = "HttpApiId";
/// The output holding the HTTP API's URL (`commands::info` reads it back).
pub const HTTP_API_URL_OUTPUT: &str = "HttpApiUrl";

/// `getUser` → `HttpApiIntegrationGetUser`: one integration per function.
pub fn http_api_integration_id(function: &str) -> String {
    format!("HttpApiIntegration{}", normalize_name(function))
}

/// `getUser` → `GetUserLambdaPermissionHttpApi`: one per function the HTTP API invokes.
pub fn http_api_permission_id(function: &str) -> String {
    lambda_permission_id(function, "HttpApi")
}

/// `GET`, `Some("/users/{id}")` → `HttpApiRouteGetUsersIdVar`; the catch-all route `*`
/// (no path) → `HttpApiRouteDefault`.
pub fn http_api_route_id(method: &str, path: Option<&str>) -> String {
    match path {
        None => "HttpApiRouteDefault".to_string(),
        Some(p) => format!("HttpApiRoute{}{}", method_name(method), path_id(p)),
    }
}

/// `jwtAuth` → `HttpApiAuthorizerJwtAuth`: one per authorizer a route uses.
pub fn http_api_authorizer_id(name: &str) -> String {
    format!("HttpApiAuthorizer{}", normalize_name(name))
}

/// `customAuth` → `CustomAuthLambdaAuthorizerPermissionHttpApi`: lets the HTTP API invoke a
/// request authorizer that is a function of this service (named for the authorizer, not the
/// function).
pub fn http_api_authorizer_permission_id(name: &str) -> String {
    format!("{}LambdaAuthorizerPermissionHttpApi", normalize_name(name))
}

// ── websocket: the WebSocket API ─────────────────────────────────────────────────────────

pub const WEBSOCKETS_API_ID: &str = "WebsocketsApi";
pub const WEBSOCKETS_STAGE_ID: &str = "WebsocketsDeploymentStage";
/// The output holding the WebSocket API's URL (`commands::info` reads it back).
pub const WEBSOCKETS_ENDPOINT_OUTPUT: &str = "ServiceEndpointWebsocket";

/// The WebSocket API's default name: `fanout`, `dev` → `dev-fanout-websockets`.
pub fn websockets_api_name(service: &str, stage: &str) -> String {
    format!("{stage}-{service}-websockets")
}

/// `second` → `SecondWebsocketsIntegration`: one integration per function.
pub fn websockets_integration_id(function: &str) -> String {
    format!("{}WebsocketsIntegration", normalize_name(function))
}

/// `second` → `SecondLambdaPermissionWebsockets`: one per function the API invokes.
pub fn websockets_permission_id(function: &str) -> String {
    lambda_permission_id(function, "Websockets")
}

/// `hellomyStreamConsumer` → `HellomyStreamConsumerStreamConsumer`: a Kinesis consumer the
/// stack registers for a function (`consumer: true`), named by its consumer name.
pub fn stream_consumer_id(consumer_name: &str) -> String {
    format!("{}StreamConsumer", normalize_name(consumer_name))
}

/// `report`, 2 → `ReportSchedulerSchedule2`: an EventBridge Scheduler schedule
/// (`method: scheduler`), counted with the function's other schedule expressions.
pub fn scheduler_schedule_id(function: &str, n: usize) -> String {
    format!("{}SchedulerSchedule{n}", normalize_name(function))
}

/// `register` → `RegisterIotProvisioningTemplate`: the template an `iotFleetProvisioning`
/// event creates (one per function).
pub fn iot_provisioning_template_id(function: &str) -> String {
    format!("{}IotProvisioningTemplate", normalize_name(function))
}

/// `register` → `RegisterLambdaPermissionIotProvisioningTemplate`.
pub fn iot_provisioning_permission_id(function: &str) -> String {
    lambda_permission_id(function, "IotProvisioningTemplate")
}

/// lodash's `words` for ASCII text: runs of letters and digits, split where a lower-case letter
/// meets an upper-case one, before the last capital of a run followed by lower case (`APIKey`
/// → `API`, `Key`), and between letters and digits.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|c| !c.is_empty())
    {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        for (i, &ch) in chars.iter().enumerate() {
            if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
                let next = chars.get(i + 1).copied();
                let split = (prev.is_ascii_lowercase() && ch.is_ascii_uppercase())
                    || (prev.is_ascii_uppercase()
                        && ch.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase()))
                    || (prev.is_ascii_digit() != ch.is_ascii_digit());
                if split && !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            word.push(ch);
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

/// `create-user` → `ApiGatewayCreateUserModel`: a model of `provider.apiGateway.request.schemas`,
/// by its key (v3: `upperFirst(camelCase(key))`).
pub fn rest_api_model_id(key: &str) -> String {
    let camel: String = words(key)
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_ascii_lowercase();
            if i == 0 {
                lower
            } else {
                upper_first(&lower)
            }
        })
        .collect();
    format!("ApiGateway{}Model", upper_first(&camel))
}

/// `users/{id}`, `POST`, `application/json` → `ApiGatewayMethodUsersIdVarPostApplicationJsonModel`:
/// an event's own request model (v3: the method's ID and `startCase(contentType)`).
pub fn rest_api_endpoint_model_id(path: &str, method: &str, content_type: &str) -> String {
    let start: String = words(content_type).iter().map(|w| upper_first(w)).collect();
    format!("{}{start}Model", rest_api_method_id(path, method))
}

/// `My Pool` → `CognitoUserPoolMyPool`: a user pool a `cognitoUserPool` event creates.
pub fn cognito_user_pool_id(pool: &str) -> String {
    format!("CognitoUserPool{}", normalize_alnum(pool))
}

/// `signup`, `MyPool`, `PreSignUp` →
/// `SignupLambdaPermissionCognitoUserPoolMyPoolTriggerSourcePreSignUp`.
pub fn cognito_user_pool_permission_id(function: &str, pool: &str, trigger: &str) -> String {
    format!(
        "{}LambdaPermissionCognitoUserPool{}TriggerSource{}",
        normalize_name(function),
        normalize_alnum(pool),
        normalize_alnum(trigger)
    )
}

// ── Application Load Balancer ─────────────────────────────────────────────────────────────

/// `hello`, `50dc6c495c0c9188`, multi-value → `HelloAlbMultiValueTargetGroup50dc6c495c0c9188`:
/// one target group per function and load balancer (its ID from the listener's ARN, or the
/// listener's logical ID for `{Ref}`). v3 copies the ID verbatim; anything but letters and digits
/// (no real load balancer ID has any) is left out, as a logical ID allows.
pub fn alb_target_group_id(function: &str, alb: &str, multi_value: bool) -> String {
    let alb: String = alb.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mv = if multi_value { "MultiValue" } else { "" };
    format!("{}Alb{mv}TargetGroup{alb}", normalize_name(function))
}

/// `hello`, 10 → `HelloAlbListenerRule10`.
pub fn alb_listener_rule_id(function: &str, priority: impl std::fmt::Display) -> String {
    format!("{}AlbListenerRule{priority}", normalize_name(function))
}

/// `hello` → `HelloLambdaPermissionAlb`: the load balancer's permission to invoke.
pub fn alb_permission_id(function: &str) -> String {
    format!("{}LambdaPermissionAlb", normalize_name(function))
}

/// `hello` → `HelloLambdaPermissionRegisterTarget`: the permission to register the function.
pub fn alb_register_target_permission_id(function: &str) -> String {
    format!("{}LambdaPermissionRegisterTarget", normalize_name(function))
}

/// `svc-hello-50dc6c495c0c9188-[multi-value-]dev`: the target group's `Name` tag (v3 never
/// includes `multi-value-` there) and, with it, what its generated name hashes.
pub fn alb_target_group_tag(
    service: &str,
    stage: &str,
    function: &str,
    alb: &str,
    multi_value: bool,
) -> String {
    let mv = if multi_value { "multi-value-" } else { "" };
    format!("{service}-{function}-{alb}-{mv}{stage}")
}

/// A target group's generated name: `provider.alb.targetGroupPrefix` and the MD5 of
/// [`alb_target_group_tag`] (with `multi-value-`), cut to the 32 characters AWS allows.
pub fn alb_target_group_name(
    prefix: &str,
    service: &str,
    stage: &str,
    function: &str,
    alb: &str,
    multi_value: bool,
) -> String {
    use md5::Digest;
    let digest = md5::Md5::digest(
        alb_target_group_tag(service, stage, function, alb, multi_value).as_bytes(),
    );
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}").chars().take(32).collect()
}

/// The first `n` characters of `normalize_alnum(name)`, as v3 trims names inside IDs.
fn alnum_prefix(name: &str, n: usize) -> String {
    normalize_alnum(name).chars().take(n).collect()
}

/// `consumer`, `my-topic` → `ConsumerEventSourceMappingKafkaMytopic`.
pub fn kafka_event_source_mapping_id(function: &str, topic: &str) -> String {
    format!(
        "{}EventSourceMappingKafka{}",
        normalize_name(function),
        alnum_prefix(topic, 158)
    )
}

/// `consumer`, `my-cluster`, `orders` → `ConsumerEventSourceMappingMSKMyclusterOrders`.
pub fn msk_event_source_mapping_id(function: &str, cluster: &str, topic: &str) -> String {
    format!(
        "{}EventSourceMappingMSK{}{}",
        normalize_name(function),
        alnum_prefix(cluster, 79),
        alnum_prefix(topic, 79)
    )
}

/// `consumer`, `my-queue` → `ConsumerEventSourceMappingActiveMQMyqueue`.
pub fn activemq_event_source_mapping_id(function: &str, queue: &str) -> String {
    format!(
        "{}EventSourceMappingActiveMQ{}",
        normalize_name(function),
        alnum_prefix(queue, 150)
    )
}

/// `consumer`, `my-queue` → `ConsumerEventSourceMappingRabbitMQMyqueue`.
pub fn rabbitmq_event_source_mapping_id(function: &str, queue: &str) -> String {
    format!(
        "{}EventSourceMappingRabbitMQ{}",
        normalize_name(function),
        alnum_prefix(queue, 150)
    )
}

/// `auth` → `AuthWebsocketsAuthorizer`: one per authorizer name (a function key, or the last
/// part of its ARN).
pub fn websockets_authorizer_id(name: &str) -> String {
    format!("{}WebsocketsAuthorizer", normalize_name(name))
}

/// `$connect` → `SconnectWebsocketsRoute`, `sendMessage` → `sendMessageWebsocketsRoute`.
pub fn websockets_route_id(route: &str) -> String {
    format!("{}WebsocketsRoute", websockets_route_stem(route))
}

/// `$default` → `SdefaultWebsocketsRouteResponse`: for routes with a
/// `routeResponseSelectionExpression`.
pub fn websockets_route_response_id(route: &str) -> String {
    format!("{}WebsocketsRouteResponse", websockets_route_stem(route))
}

/// `5aNkdt/JUDrs…+zvKHH8=` → `WebsocketsDeployment5aNkdtJUDrs…zvKHH8`: named by the
/// (base64) digest of the routes, so a new deployment is made only when the routes change,
/// as v3 does.
pub fn websockets_deployment_id(routes_digest: &str) -> String {
    let alnum: String = routes_digest
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("WebsocketsDeployment{alnum}")
}

/// v3's route ID stem: `$connect` → `Sconnect`, `sendMessage` → `sendMessage` (case kept,
/// unlike every other name).
fn websockets_route_stem(route: &str) -> String {
    route
        .replace('$', "S")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

// ── cloudFront ───────────────────────────────────────────────────────────────────────────

pub const CLOUDFRONT_DISTRIBUTION_ID: &str = "CloudFrontDistribution";
pub const CLOUDFRONT_DOMAIN_NAME_OUTPUT: &str = "CloudFrontDistributionDomainName";

/// `hello` → `HelloLambdaFunctionInvokePermission`: CloudFront's permission on the version.
pub fn lambda_at_edge_permission_id(function: &str) -> String {
    format!("{}InvokePermission", function_logical_id(function))
}

/// An origin's ID: `s3/` or `custom/`, its domain (a value CloudFormation resolves, as its
/// JSON's letters and digits), and its path.
pub fn cloudfront_origin_id(origin: &serde_json::Map<String, serde_json::Value>) -> String {
    let kind = if origin.contains_key("S3OriginConfig") {
        "s3"
    } else {
        "custom"
    };
    let domain = match &origin.get("DomainName") {
        Some(serde_json::Value::String(d)) => d.clone(),
        Some(other) => normalize_alnum(&other.to_string()),
        None => String::new(),
    };
    let path = origin
        .get("OriginPath")
        .and_then(|p| p.as_str())
        .unwrap_or("");
    format!("{kind}/{domain}{path}")
}

/// `default` → `CloudFrontCachePolicyDefault`.
pub fn cloudfront_cache_policy_id(name: &str) -> String {
    format!("CloudFrontCachePolicy{}", normalize_name(name))
}

/// `svc`, `dev`, `default` → `svc-dev-default`.
pub fn cloudfront_cache_policy_name(service: &str, stage: &str, name: &str) -> String {
    format!("{service}-{stage}-{name}")
}

// ── s3 ───────────────────────────────────────────────────────────────────────────────────

/// The role of v3's custom resource handlers.
pub const CUSTOM_RESOURCES_ROLE_ID: &str = "IamRoleCustomResourcesLambdaExecution";

/// `existing-s3` → `CustomDashresourceDashexistingDashs3LambdaFunction`: a custom resource
/// handler's function (v3 names it as a function keyed `custom-resource-<name>`).
pub fn custom_resource_function_id(name: &str) -> String {
    function_logical_id(&format!("custom-resource-{name}"))
}

/// `svc`, `dev`, `existing-s3` → `svc-dev-custom-resource-existing-s3`; past Lambda's 64
/// characters, its first 32 and the MD5 of the whole, as v3 shortens it.
pub fn custom_resource_function_name(service: &str, stage: &str, name: &str) -> String {
    use md5::Digest;
    let full = format!("{service}-{stage}-custom-resource-{name}");
    if full.len() <= 64 {
        return full;
    }
    let digest = md5::Md5::digest(full.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let head: String = full.chars().take(32).collect();
    format!("{head}{hex}")
}

/// `/aws/api-gateway/<service>-<stage>`: the REST API's access log group.
pub fn rest_api_log_group_name(service: &str, stage: &str) -> String {
    format!("/aws/api-gateway/{service}-{stage}")
}
pub const REST_API_LOG_GROUP_ID: &str = "ApiGatewayLogGroup";
/// `/aws/websocket/<service>-<stage>`: the WebSocket API's access log group.
pub fn websockets_log_group_name(service: &str, stage: &str) -> String {
    format!("/aws/websocket/{service}-{stage}")
}
pub const WEBSOCKETS_LOG_GROUP_ID: &str = "WebsocketsLogGroup";
/// The custom resource that gives the account API Gateway's CloudWatch role.
pub const API_GATEWAY_CLOUDWATCH_ROLE_ID: &str = "CustomApiGatewayAccountCloudWatchRole";

/// `my-bucket-name.2` → `S3BucketMybucketname2`: a bucket the stack creates.
pub fn s3_bucket_id(bucket: &str) -> String {
    format!("S3Bucket{}", normalize_alnum(bucket))
}

/// `onUpload`, `photos-bucket.example` → `OnUploadLambdaPermissionPhotosbucketexampleS3`.
pub fn s3_permission_id(function: &str, bucket: &str) -> String {
    lambda_permission_id(function, &format!("{}S3", normalize_alnum(bucket)))
}

/// `onSignup` → `OnSignupCustomCognitoUserPool1`: the custom resource setting a function's
/// triggers on user pools made elsewhere (the `1` is v3's, kept for compatibility).
pub fn cognito_existing_pool_id(function: &str) -> String {
    format!("{}CustomCognitoUserPool1", normalize_name(function))
}

/// `onExisting`, `1` → `OnExistingCustomS31`: the n-th (1-based) existing bucket a function
/// is notified by.
pub fn s3_existing_bucket_id(function: &str, n: usize) -> String {
    format!("{}CustomS3{n}", normalize_name(function))
}

// ── schedule ─────────────────────────────────────────────────────────────────────────────

/// `tick`, `1` → `TickEventsRuleSchedule1`: n counts a function's schedule rules from 1.
pub fn schedule_rule_id(function: &str, n: usize) -> String {
    format!("{}EventsRuleSchedule{n}", normalize_name(function))
}

/// `tick`, `1` → `TickLambdaPermissionEventsRuleSchedule1`.
pub fn schedule_permission_id(function: &str, n: usize) -> String {
    lambda_permission_id(function, &format!("EventsRuleSchedule{n}"))
}

/// The `Id` of a schedule rule's target (not a logical ID): `tick` → `tickSchedule`, the
/// function key as written.
pub fn schedule_target_id(function: &str) -> String {
    format!("{function}Schedule")
}

// ── cloudwatchEvent, cloudwatchLog ───────────────────────────────────────────────────────

/// `watch`, `1` → `WatchEventsRuleCloudWatchEvent1`.
pub fn cloudwatch_event_rule_id(function: &str, n: usize) -> String {
    format!("{}EventsRuleCloudWatchEvent{n}", normalize_name(function))
}

/// `watch`, `1` → `WatchLambdaPermissionEventsRuleCloudWatchEvent1`.
pub fn cloudwatch_event_permission_id(function: &str, n: usize) -> String {
    lambda_permission_id(function, &format!("EventsRuleCloudWatchEvent{n}"))
}

/// The `Id` of a cloudwatchEvent rule's target: `watch` → `watchCloudWatchEvent`.
pub fn cloudwatch_event_target_id(function: &str) -> String {
    format!("{function}CloudWatchEvent")
}

/// `logs`, `1` → `LogsLogsSubscriptionFilterCloudWatchLog1`.
pub fn cloudwatch_log_filter_id(function: &str, n: usize) -> String {
    format!(
        "{}LogsSubscriptionFilterCloudWatchLog{n}",
        normalize_name(function)
    )
}

/// One permission per function for all its log subscriptions:
/// `logs` → `LogsLambdaPermissionLogsSubscriptionFilterCloudWatchLog`.
pub fn cloudwatch_log_permission_id(function: &str) -> String {
    lambda_permission_id(function, "LogsSubscriptionFilterCloudWatchLog")
}

// ── iot, alexaSkill, alexaSmartHome ──────────────────────────────────────────────────────

/// `things`, `1` → `ThingsIotTopicRule1`.
pub fn iot_rule_id(function: &str, n: usize) -> String {
    format!("{}IotTopicRule{n}", normalize_name(function))
}

/// `things`, `1` → `ThingsLambdaPermissionIotTopicRule1`.
pub fn iot_permission_id(function: &str, n: usize) -> String {
    lambda_permission_id(function, &format!("IotTopicRule{n}"))
}

/// `skill`, `1` → `SkillLambdaPermissionAlexaSkill1`.
pub fn alexa_skill_permission_id(function: &str, n: usize) -> String {
    lambda_permission_id(function, &format!("AlexaSkill{n}"))
}

/// `home`, `1` → `HomeLambdaPermissionAlexaSmartHome1`.
pub fn alexa_smart_home_permission_id(function: &str, n: usize) -> String {
    lambda_permission_id(function, &format!("AlexaSmartHome{n}"))
}

// ── eventBridge ──────────────────────────────────────────────────────────────────────────

/// A rule's default name: `fanout`, `dev`, `first`, `3` → `fanout-dev-first-rule-3` (n: the
/// event's 1-based position among the function's events).
pub fn event_bridge_rule_name(service: &str, stage: &str, function: &str, n: usize) -> String {
    format!("{service}-{stage}-{function}-rule-{n}")
}

/// `fanout`, `dev`, `first`, `3` → `Fanoutdevfirstrule3EventBridgeRule`: from the default
/// name even when `name` renames the rule, as in v3.
pub fn event_bridge_rule_id(service: &str, stage: &str, function: &str, n: usize) -> String {
    let name = event_bridge_rule_name(service, stage, function, n);
    format!("{}EventBridgeRule", normalize_alnum(&name))
}

/// `api`, `4` → `ApiEventBridgeLambdaPermission4` (n as in [`event_bridge_rule_name`]).
pub fn event_bridge_permission_id(function: &str, n: usize) -> String {
    format!("{}EventBridgeLambdaPermission{n}", normalize_name(function))
}

/// `custom-bus` → `CustomDashbusEventBridgeEventBus`: a bus given by name, which the stack
/// creates.
pub fn event_bridge_bus_id(bus: &str) -> String {
    format!("{}EventBridgeEventBus", normalize_name(bus))
}

/// The `Id` of a rule's target (not a logical ID): `cmp-dev-api-rule-4` →
/// `cmp-dev-api-rule-4-target`.
pub fn event_bridge_target_id(rule_name: &str) -> String {
    format!("{rule_name}-target")
}

// ── sns ──────────────────────────────────────────────────────────────────────────────────

/// `my-topic` → `SNSTopicMytopic`: a topic the stack creates.
pub fn sns_topic_id(topic: &str) -> String {
    format!("SNSTopic{}", normalize_alnum(topic))
}

/// `snsConsumer`, `external-topic` → `SnsConsumerSnsSubscriptionExternaltopic`: a
/// subscription written as its own resource (existing topic, filter or redrive policy).
pub fn sns_subscription_id(function: &str, topic: &str) -> String {
    format!(
        "{}SnsSubscription{}",
        normalize_name(function),
        normalize_alnum(topic)
    )
}

/// `snsConsumer`, `my-topic` → `SnsConsumerLambdaPermissionMytopicSNS`.
pub fn sns_permission_id(function: &str, topic: &str) -> String {
    lambda_permission_id(function, &format!("{}SNS", normalize_alnum(topic)))
}

// ── sqs and stream: event source mappings ────────────────────────────────────────────────

/// `sqsConsumer`, `my-queue` → `SqsConsumerEventSourceMappingSQSMyqueue`.
pub fn sqs_event_source_mapping_id(function: &str, queue: &str) -> String {
    format!(
        "{}EventSourceMappingSQS{}",
        normalize_name(function),
        normalize_alnum(queue)
    )
}

/// `streamConsumer`, `Dynamodb`, `OrdersTable` →
/// `StreamConsumerEventSourceMappingDynamodbOrdersTable`; `kind` is `Dynamodb` or `Kinesis`.
pub fn stream_event_source_mapping_id(function: &str, kind: &str, stream: &str) -> String {
    format!(
        "{}EventSourceMapping{kind}{}",
        normalize_name(function),
        normalize_alnum(stream)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_repository_names_are_v3s() {
        assert_eq!(
            ecr_repository_name("My_Svc", "dev"),
            "serverless-my_svc-dev"
        );
        assert_eq!(ecr_repository_name("a--b-", "-"), "serverless-a-b");
        assert_eq!(
            ecr_repository_name("images", "prod"),
            "serverless-images-prod"
        );
    }

    #[test]
    fn alb_names_are_v3s() {
        assert_eq!(
            alb_target_group_id("my-other_fn", "50dc6c495c0c9188", false),
            "MyDashotherUnderscorefnAlbTargetGroup50dc6c495c0c9188"
        );
        assert_eq!(
            alb_target_group_id("hello", "MyListener", true),
            "HelloAlbMultiValueTargetGroupMyListener"
        );
        assert_eq!(alb_listener_rule_id("hello", 10), "HelloAlbListenerRule10");
        // osls 3.77.1: md5("alb-svc-hello-50dc6c495c0c9188-dev") = 68607fe648c3ff3e18e7ad664a9911d8
        assert_eq!(
            alb_target_group_name("", "alb-svc", "dev", "hello", "50dc6c495c0c9188", false),
            "68607fe648c3ff3e18e7ad664a9911d8"
        );
        assert_eq!(
            alb_target_group_name(
                "my-prefix-",
                "alb-svc",
                "dev",
                "hello",
                "50dc6c495c0c9188",
                false
            ),
            "my-prefix-68607fe648c3ff3e18e7ad"
        );
        assert_eq!(
            alb_target_group_name("", "alb-svc", "dev", "hello", "MyListener", true),
            "90d9c54e18673ca6334ee068b71740cf"
        );
    }

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

    // Expected values below are IDs from v3's own output: tests/fixtures/v3/cases/*/expected/
    // and tests/fixtures/v3-extra/*/expected/ (the fixture named in each comment).

    #[test]
    fn function_ids() {
        // naming, provider-overrides, apis-and-buses, provisioned-and-settings
        assert_eq!(
            function_logical_id("my-func_name"),
            "MyDashfuncUnderscorenameLambdaFunction"
        );
        assert_eq!(log_group_logical_id("lowerCamel"), "LowerCamelLogGroup");
        assert_eq!(provisioned_alias_id("worker"), "WorkerProvConcLambdaAlias");
        assert_eq!(event_invoke_config_id("api"), "ApiLambdaEvConf");
        assert_eq!(function_url_id("hello"), "HelloLambdaFunctionUrl");
        assert!(is_function_url_id("ApiLambdaFunctionUrl"));
        assert!(!is_function_url_id("ApiLambdaFunctionQualifiedArn"));
        assert_eq!(
            function_url_permission_id("hello"),
            "HelloLambdaPermissionFnUrl"
        );
        // Not in v3's output: osls's name (see tests/it/golden.rs).
        assert_eq!(
            function_url_invoke_permission_id("hello"),
            "HelloLambdaPermissionFn"
        );
    }

    #[test]
    fn layer_ids() {
        // layers, provisioned-and-settings
        assert_eq!(layer_logical_id("tools-bin"), "ToolsDashbinLambdaLayer");
        assert!(is_layer_logical_id("CommonLibsLambdaLayer"));
        assert!(!is_layer_logical_id("CommonLibsLambdaLayerHash"));
        assert_eq!(
            retained_layer_id("shared", "4bdb60f6b065c3ec5caf447952bcf8f748e22fb3"),
            "SharedLambdaLayer4bdb60f6b065c3ec5caf447952bcf8f748e22fb3"
        );
        // A sha256 is 64 digits; the ID keeps 40.
        assert_eq!(
            retained_layer_id("shared", &"0123456789abcdef".repeat(4)),
            "SharedLambdaLayer0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(
            layer_permission_id("tools-bin", "123456789012"),
            "ToolsDashbin123456789012LambdaLayerPermission"
        );
        assert_eq!(
            layer_permission_id("tools-bin", "*"),
            "ToolsDashbinWildLambdaLayerPermission"
        );
    }

    #[test]
    fn outputs_and_exports() {
        // naming, variables-prod, layers, apis-and-buses
        assert_eq!(
            export_name("naming-svc", "dev", DEPLOYMENT_BUCKET_NAME_OUTPUT),
            "sls-naming-svc-dev-ServerlessDeploymentBucketName"
        );
        assert_eq!(
            export_name("vars-svc", "prod", DEPLOYMENT_BUCKET_NAME_OUTPUT),
            "sls-vars-svc-prod-ServerlessDeploymentBucketName"
        );
        assert_eq!(
            export_name("cmp", "dev", &function_url_id("api")),
            "sls-cmp-dev-ApiLambdaFunctionUrl"
        );
        assert_eq!(
            function_qualified_arn_output("my-func_name"),
            "MyDashfuncUnderscorenameLambdaFunctionQualifiedArn"
        );
        assert_eq!(
            layer_qualified_arn_output("commonLibs"),
            "CommonLibsLambdaLayerQualifiedArn"
        );
        assert_eq!(
            layer_hash_output("tools-bin"),
            "ToolsDashbinLambdaLayerHash"
        );
        assert_eq!(layer_s3_key_output("shared"), "SharedLambdaLayerS3Key");
    }

    #[test]
    fn rest_api_ids() {
        // naming, seed, rest-settings, apis-and-buses
        assert_eq!(
            rest_api_resource_id("users/{userId}/order-items"),
            "ApiGatewayResourceUsersUseridVarOrderDashitems"
        );
        assert_eq!(
            rest_api_method_id("users/{userId}", "options"),
            "ApiGatewayMethodUsersUseridVarOptions"
        );
        assert_eq!(rest_api_method_id("", "GET"), "ApiGatewayMethodGet");
        assert_eq!(rest_api_authorizer_id("auth"), "AuthApiGatewayAuthorizer");
        assert_eq!(
            rest_api_authorizer_id("cogAuth"),
            "CogAuthApiGatewayAuthorizer"
        );
        assert_eq!(
            rest_api_deployment_id(1795700980438),
            "ApiGatewayDeployment1795700980438"
        );
        assert_eq!(rest_api_key_id(1, None), "ApiGatewayApiKey1");
        assert_eq!(rest_api_key_id(2, Some("free")), "ApiGatewayApiKeyFree2");
        assert_eq!(
            rest_api_usage_plan_key_id(1, None),
            "ApiGatewayUsagePlanKey1"
        );
        assert_eq!(
            rest_api_usage_plan_key_id(1, Some("paid")),
            "ApiGatewayUsagePlanKeyPaid1"
        );
        assert_eq!(rest_api_usage_plan_id(None), "ApiGatewayUsagePlan");
        assert_eq!(
            rest_api_usage_plan_id(Some("free")),
            "ApiGatewayUsagePlanFree"
        );
        assert_eq!(
            rest_api_request_validator_id("rest"),
            "ApiGatewayRestRequestValidator"
        );
        assert_eq!(
            rest_api_request_validator_id("my-svc_2"),
            "ApiGatewayMysvc2RequestValidator"
        );
        assert_eq!(
            authorizer_name_from_arn("arn:aws:lambda:us-east-1:1:function:svc-dev-auth"),
            "auth"
        );
        assert_eq!(
            authorizer_name_from_arn("arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_AbC"),
            "1_AbC"
        );
        assert_eq!(
            rest_api_permission_id("my-func_name"),
            "MyDashfuncUnderscorenameLambdaPermissionApiGateway"
        );
        assert_eq!(REST_API_ENDPOINT_OUTPUT, "ServiceEndpoint");
    }

    #[test]
    fn http_api_ids() {
        // httpapi, misc-settings, apis-and-buses
        assert_eq!(
            http_api_route_id("GET", Some("/users/{id}/friends/{friendId}")),
            "HttpApiRouteGetUsersIdVarFriendsFriendidVar"
        );
        assert_eq!(
            http_api_route_id("ANY", Some("/proxy/{proxy+}")),
            "HttpApiRouteAnyProxyProxyVar"
        );
        assert_eq!(http_api_route_id("*", None), "HttpApiRouteDefault");
        assert_eq!(
            http_api_integration_id("getUser"),
            "HttpApiIntegrationGetUser"
        );
        assert_eq!(
            http_api_permission_id("catchAll"),
            "CatchAllLambdaPermissionHttpApi"
        );
        assert_eq!(
            http_api_authorizer_id("jwtAuth"),
            "HttpApiAuthorizerJwtAuth"
        );
        assert_eq!(
            http_api_authorizer_permission_id("customAuth"),
            "CustomAuthLambdaAuthorizerPermissionHttpApi"
        );
        assert_eq!(HTTP_API_STAGE_ID, "HttpApiStage");
        assert_eq!(
            (HTTP_API_ID_OUTPUT, HTTP_API_URL_OUTPUT),
            ("HttpApiId", "HttpApiUrl")
        );
    }

    #[test]
    fn websockets_ids() {
        // fanout, apis-and-buses
        assert_eq!(
            websockets_api_name("fanout", "dev"),
            "dev-fanout-websockets"
        );
        assert_eq!(
            websockets_integration_id("second"),
            "SecondWebsocketsIntegration"
        );
        assert_eq!(
            websockets_permission_id("api"),
            "ApiLambdaPermissionWebsockets"
        );
        assert_eq!(websockets_route_id("$connect"), "SconnectWebsocketsRoute");
        assert_eq!(
            websockets_route_id("sendMessage"),
            "sendMessageWebsocketsRoute"
        );
        assert_eq!(
            websockets_route_response_id("$default"),
            "SdefaultWebsocketsRouteResponse"
        );
        assert_eq!(
            websockets_deployment_id("5aNkdt/JUDrsvtTLr7RUm7nJ8bU/B8lS5FFM+zvKHH8="),
            "WebsocketsDeployment5aNkdtJUDrsvtTLr7RUm7nJ8bUB8lS5FFMzvKHH8"
        );
        assert_eq!(WEBSOCKETS_STAGE_ID, "WebsocketsDeploymentStage");
        assert_eq!(WEBSOCKETS_ENDPOINT_OUTPUT, "ServiceEndpointWebsocket");
    }

    #[test]
    fn s3_ids() {
        // s3, naming, fanout
        assert_eq!(s3_bucket_id("my-bucket-name.2"), "S3BucketMybucketname2");
        assert_eq!(
            s3_permission_id("my-func_name", "my-bucket-name.2"),
            "MyDashfuncUnderscorenameLambdaPermissionMybucketname2S3"
        );
        assert_eq!(
            s3_permission_id("onUpload", "photos-bucket.example"),
            "OnUploadLambdaPermissionPhotosbucketexampleS3"
        );
        assert_eq!(
            s3_existing_bucket_id("onExisting", 1),
            "OnExistingCustomS31"
        );
        assert_eq!(
            custom_resource_function_id("existing-s3"),
            "CustomDashresourceDashexistingDashs3LambdaFunction"
        );
        assert_eq!(
            custom_resource_function_id("apigw-cw-role"),
            "CustomDashresourceDashapigwDashcwDashroleLambdaFunction"
        );
        assert_eq!(
            custom_resource_function_name("svc", "dev", "existing-s3"),
            "svc-dev-custom-resource-existing-s3"
        );
        let long = custom_resource_function_name(
            "a-service-with-a-rather-long-name",
            "production",
            "apigw-cw-role",
        );
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("a-service-with-a-rather-long-nam"));
        assert_eq!(
            CUSTOM_RESOURCES_ROLE_ID,
            "IamRoleCustomResourcesLambdaExecution"
        );
    }

    #[test]
    fn schedule_and_event_bridge_ids() {
        // schedule, naming, fanout, apis-and-buses
        assert_eq!(schedule_rule_id("tick", 5), "TickEventsRuleSchedule5");
        assert_eq!(
            schedule_rule_id("my-func_name", 1),
            "MyDashfuncUnderscorenameEventsRuleSchedule1"
        );
        assert_eq!(
            schedule_permission_id("tick", 1),
            "TickLambdaPermissionEventsRuleSchedule1"
        );
        assert_eq!(schedule_target_id("tick"), "tickSchedule");
        assert_eq!(
            event_bridge_rule_name("cmp", "dev", "api", 4),
            "cmp-dev-api-rule-4"
        );
        assert_eq!(
            event_bridge_rule_id("fanout", "dev", "first", 3),
            "Fanoutdevfirstrule3EventBridgeRule"
        );
        assert_eq!(
            event_bridge_rule_id("cmp", "dev", "api", 5),
            "Cmpdevapirule5EventBridgeRule"
        );
        assert_eq!(
            event_bridge_permission_id("api", 4),
            "ApiEventBridgeLambdaPermission4"
        );
        assert_eq!(
            event_bridge_bus_id("custom-bus"),
            "CustomDashbusEventBridgeEventBus"
        );
        assert_eq!(
            event_bridge_target_id("custom-rule-name"),
            "custom-rule-name-target"
        );
    }

    #[test]
    fn sns_sqs_and_stream_ids() {
        // queues, naming, fanout
        assert_eq!(
            sns_topic_id("topic-with_under-dash"),
            "SNSTopicTopicwithunderdash"
        );
        assert_eq!(
            sns_subscription_id("snsConsumer", "external-topic"),
            "SnsConsumerSnsSubscriptionExternaltopic"
        );
        assert_eq!(
            sns_permission_id("snsConsumer", "my-topic"),
            "SnsConsumerLambdaPermissionMytopicSNS"
        );
        assert_eq!(
            sqs_event_source_mapping_id("my-func_name", "queue-name_1.fifo"),
            "MyDashfuncUnderscorenameEventSourceMappingSQSQueuename1fifo"
        );
        assert_eq!(
            sqs_event_source_mapping_id("sqsConsumer", "MyQueue"),
            "SqsConsumerEventSourceMappingSQSMyQueue"
        );
        assert_eq!(
            stream_event_source_mapping_id("streamConsumer", "Dynamodb", "OrdersTable"),
            "StreamConsumerEventSourceMappingDynamodbOrdersTable"
        );
        assert_eq!(
            stream_event_source_mapping_id("worker", "Kinesis", "clicks"),
            "WorkerEventSourceMappingKinesisClicks"
        );
    }

    #[test]
    fn nested_stack_ids_are_recognised() {
        assert_eq!(nested_stack_id(7), "FunctionsNestedStack07");
        assert!(is_nested_stack_id(&nested_stack_id(31)));
        assert!(!is_nested_stack_id("FunctionsNestedStack7"));
        assert!(!is_nested_stack_id("MyStack"));
        assert_eq!(
            nested_reference("F3LambdaFunction", None),
            "F3LambdaFunction"
        );
        assert_eq!(
            nested_reference("WebSocketsApi", Some("ApiEndpoint")),
            "WebSocketsApiAttrApiEndpoint"
        );
        assert_eq!(
            nested_template_file("FunctionsNestedStack07"),
            "cloudformation-template-nested-FunctionsNestedStack07.json"
        );
    }
}
