//! The typed, validated service: what the planner and the packager read. Values that only pass
//! through to CloudFormation (IAM statements, VPC config, user resources) stay JSON.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde_json::Value;

use crate::events::Event;

#[derive(Debug, Clone)]
pub struct Service {
    /// The directory holding the configuration file; packaging and handler checks start here.
    pub dir: PathBuf,
    /// The configuration file's name, relative to `dir` (excluded from zips).
    pub config_file: String,
    pub name: String,
    pub framework_version: Option<String>,
    pub stage: String,
    pub region: String,
    pub provider: Provider,
    pub functions: IndexMap<String, Function>,
    pub layers: IndexMap<String, Layer>,
    pub package: Package,
    pub custom: Value,
    pub resources: Resources,
    pub plugins: Plugins,
    /// Functions whose runtime AWS no longer accepts on the day of the load (`clock::today`):
    /// a warning for `package`, refused by `deploy` before anything is uploaded.
    pub retired_runtimes: Vec<RetiredRuntime>,
}

/// `plugins:` — a list of modules, or `{ localPath, modules }`.
#[derive(Debug, Clone, Default)]
pub struct Plugins {
    /// Where plugins are looked for before `node_modules` (default `.serverless_plugins`).
    pub local_path: Option<String>,
    pub modules: Vec<String>,
}

/// A function whose runtime AWS stopped accepting.
#[derive(Debug, Clone)]
pub struct RetiredRuntime {
    pub function: String,
    pub runtime: String,
    /// Where the runtime was set: `functions.<f>.runtime` or `provider.runtime`.
    pub set_at: crate::error::KeyPath,
    pub blocked_since: &'static str,
    pub successor: &'static str,
}

impl Service {
    /// `provider.stackName`, else `<service>-<stage>`.
    pub fn stack_name(&self) -> String {
        self.provider
            .stack_name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.name, self.stage))
    }

    /// `serverless/<service>/<stage>/` (`provider.deploymentPrefix` first): the part of the
    /// deployment bucket this service and stage own; each deployment is a directory inside.
    pub fn deployment_prefix(&self) -> String {
        format!(
            "{}/{}/{}/",
            self.provider.deployment_prefix, self.name, self.stage
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Provider {
    pub runtime: Option<String>,
    pub stack_name: Option<String>,
    pub api_name: Option<String>,
    pub endpoint_type: Option<String>,
    pub memory_size: Option<i64>,
    pub timeout: Option<i64>,
    pub log_retention_in_days: Option<i64>,
    pub environment: IndexMap<String, Value>,
    pub tags: IndexMap<String, Value>,
    pub stack_tags: IndexMap<String, Value>,
    pub iam: Iam,
    pub deployment_bucket: Option<DeploymentBucket>,
    pub deployment_prefix: String,
    pub deployment_method: DeploymentMethod,
    /// `deploymentApproval: never` (sls-rs's own key): `deploy` does not stop for approval of
    /// data loss or broader permissions.
    pub deployment_approval_never: bool,
    pub version_functions: bool,
    pub architecture: Option<String>,
    pub tracing_lambda: Option<Tracing>,
    pub tracing_api_gateway: bool,
    pub api_gateway: ApiGateway,
    pub http_api: HttpApiConfig,
    pub vpc: Option<Value>,
    pub layers: Vec<Value>,
    pub kms_key_arn: Option<Value>,
    pub websockets_api_name: Option<String>,
    pub websockets_route_selection: Option<String>,
    pub profile: Option<String>,
    pub websockets_description: Option<String>,
    pub runtime_management: Option<RuntimeManagement>,
    /// `vpcEndpointIds`: the VPC endpoints of a `PRIVATE` REST API.
    pub vpc_endpoint_ids: Option<Value>,
    /// `websocket.useProviderTags`: the provider's tags go on the WebSocket API.
    pub websocket_tags: bool,
    /// `kinesis.consumerNamingMode: serviceSpecific`: consumers named with service and stage.
    pub kinesis_consumer_service_specific: bool,
    /// `logs.frameworkLambda`: the functions sls-rs adds (custom resources) get log groups.
    pub framework_lambda_logs: bool,
    /// `logs.lambda`: the functions' advanced logging unless a function sets `logs`.
    pub lambda_logging: Option<Logging>,
    /// `logDataProtectionPolicy`: the functions' log groups' unless a function sets its own.
    pub log_data_protection_policy: Option<Value>,
    /// `provider.alb`: target group names and listener rule authorizers.
    pub alb: crate::events::alb::AlbSettings,
    /// `logs.restApi`, `logs.websocket`: the API stages' logging.
    pub rest_api_logs: Option<crate::events::api_logs::ApiLogs>,
    pub websocket_logs: Option<crate::events::api_logs::ApiLogs>,
    /// `provider.cloudFront.cachePolicies`: CachePolicyConfigs (without Name), by name.
    pub cloudfront_cache_policies: IndexMap<String, Value>,
    /// `provider.ecr`: images functions name.
    pub ecr: Ecr,
    /// `provider.s3`: buckets `s3` events create, by the key the events name them with.
    pub s3: IndexMap<String, crate::events::s3::BucketSettings>,
    /// How the stack itself is created and updated.
    pub stack: StackSettings,
}

/// `provider.stackPolicy`, `notificationArns`, `disableRollback`, `cfnRole`,
/// `stackParameters`: passed to CloudFormation by the deployer.
#[derive(Debug, Clone, Default)]
pub struct StackSettings {
    pub policy: Vec<Value>,
    pub notification_arns: Vec<String>,
    pub disable_rollback: bool,
    /// `provider.iam.deploymentRole` (or the older `cfnRole`): the role CloudFormation acts as.
    pub role_arn: Option<String>,
    pub parameters: Vec<(String, String)>,
    /// `provider.rollbackConfiguration`: alarms that roll a deploy back, and how long they are
    /// watched (minutes).
    pub rollback: Option<RollbackConfiguration>,
    /// `provider.deploymentMode: express` (sls-rs's own key) or `deploy --express`:
    /// CloudFormation's EXPRESS deployment configuration, where an operation completes once
    /// resource configuration is applied and resources finish settling in the background.
    pub express: bool,
    /// Set when the deployed stack already holds nested stacks of functions
    /// (`deploy::stack::keep_layout`, by the commands that read it): the plan keeps the
    /// functions there whatever the size, so a service that shrinks never moves them back into
    /// the root.
    pub nested: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackConfiguration {
    pub monitoring_minutes: Option<i32>,
    /// `(Arn, Type)` of each trigger.
    pub triggers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeploymentMethod {
    #[default]
    ChangeSets,
    Direct,
}

impl Provider {
    /// `provider.deploymentBucket.name`: the user's own bucket, when they name one (otherwise
    /// the stack creates `ServerlessDeploymentBucket`).
    pub fn custom_bucket(&self) -> Option<String> {
        self.deployment_bucket.as_ref().and_then(|b| b.name.clone())
    }

    /// How every object sls-rs writes to the deployment bucket is encrypted.
    pub fn upload_encryption(&self) -> UploadEncryption {
        self.deployment_bucket
            .as_ref()
            .map(|b| b.encryption.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
pub struct DeploymentBucket {
    pub name: Option<String>,
    /// How every upload is encrypted.
    pub encryption: UploadEncryption,
    pub tags: IndexMap<String, Value>,
    /// `maxPreviousDeploymentArtifacts`: how many deployments the bucket keeps.
    pub max_previous_deployments: Option<usize>,
    /// `skipPolicySetup`: no TLS-only bucket policy on the bucket sls-rs creates.
    pub skip_policy_setup: bool,
    /// `versioning: false` and `blockPublicAccess: false` turn off what the bucket sls-rs
    /// creates has by default (v3's bucket has neither unless asked).
    pub versioning: bool,
    pub block_public_access: bool,
}

/// `deploymentBucket.serverSideEncryption` (`AES256`, `aws:kms`), `sseKMSKeyId`, and the
/// customer key settings: sent with every object sls-rs writes and copies.
#[derive(Debug, Clone, Default)]
pub struct UploadEncryption {
    pub algorithm: Option<String>,
    pub kms_key_id: Option<String>,
    pub customer_algorithm: Option<String>,
    pub customer_key: Option<String>,
    pub customer_key_md5: Option<String>,
}

impl UploadEncryption {
    /// A customer-provided key: S3 cannot copy such an object without the key of the source.
    pub fn customer(&self) -> bool {
        self.customer_algorithm.is_some() || self.customer_key.is_some()
    }
}

/// The shared execution role, from `provider.iam` or the legacy keys.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    /// `provider.iam.role` given as an ARN or a name: no role is generated.
    pub existing_role: Option<Value>,
    pub role_name: Option<Value>,
    pub role_path: Option<String>,
    pub statements: Vec<Value>,
    pub managed_policies: Vec<Value>,
    pub permissions_boundary: Option<Value>,
    pub role_tags: IndexMap<String, Value>,
}

#[derive(Debug, Clone, Default)]
pub struct ApiGateway {
    pub api_keys: Vec<ApiKey>,
    pub rest_api_id: Option<Value>,
    pub rest_api_root_resource_id: Option<Value>,
    pub rest_api_resources: IndexMap<String, Value>,
    /// `usagePlan`: one plan (a map, named by the service), or named plans (a list).
    pub usage_plans: Vec<UsagePlan>,
    pub description: Option<String>,
    pub binary_media_types: Option<Value>,
    pub minimum_compression_size: Option<i64>,
    pub resource_policy: Option<Value>,
    pub disable_default_endpoint: bool,
    pub api_key_source_type: Option<String>,
    /// `<service>-<stage>` instead of `<stage>-<service>` for the API's name.
    pub name_starts_with_service: bool,
    pub metrics: bool,
    /// `timeoutInMillis`: every Lambda integration's timeout unless its event sets one.
    pub timeout_in_millis: Option<i64>,
    /// `endpoint.securityPolicy` (`TLS_1_0`, `TLS_1_2`).
    pub security_policy: Option<String>,
    /// `request.schemas`: JSON schemas events name for their request bodies.
    pub request_schemas: IndexMap<String, RequestSchema>,
    /// `websocketApiId`: a WebSocket API made elsewhere that `websocket` routes go on.
    pub websocket_api_id: Option<Value>,
}

/// A request body's JSON schema, as an API Gateway model.
#[derive(Debug, Clone)]
pub struct RequestSchema {
    pub schema: Value,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub name: Option<String>,
    pub value: Option<String>,
    pub description: Option<String>,
    pub customer_id: Option<String>,
    pub enabled: bool,
    /// The named usage plan the key is listed under (`- free: [key, …]`).
    pub plan: Option<String>,
    /// Its number in v3's count (reset at each plan's list), for its logical ID.
    pub number: usize,
}

/// A usage plan; `name` is `None` for the one plan of a `usagePlan` map.
#[derive(Debug, Clone)]
pub struct UsagePlan {
    pub name: Option<String>,
    pub quota: Option<Value>,
    pub throttle: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct HttpApiConfig {
    pub id: Option<Value>,
    pub name: Option<String>,
    /// `provider.logs.httpApi`: the stage's access log format.
    pub access_log_format: Option<String>,
    pub description: Option<String>,
    pub payload: Option<String>,
    pub cors: Option<Value>,
    pub authorizers: IndexMap<String, Value>,
    pub disable_default_endpoint: bool,
    pub metrics: bool,
    pub name_starts_with_service: bool,
}

#[derive(Debug, Clone)]
pub struct Function {
    /// The key under `functions:`.
    pub key: String,
    /// The physical name: `name:` or `<service>-<stage>-<key>`.
    pub name: String,
    pub handler: Option<String>,
    pub image: Option<Image>,
    /// The runtime Lambda runs: the function's, else `provider.runtime`, else the default.
    /// `None` for container images, which bring their own.
    pub runtime: Option<String>,
    /// Where `runtime` comes from (`functions.<f>.runtime` or `provider.runtime`), for messages.
    pub runtime_set_at: crate::error::KeyPath,
    pub memory_size: Option<i64>,
    pub timeout: Option<i64>,
    pub description: Option<String>,
    pub environment: IndexMap<String, Value>,
    pub role: Option<Value>,
    pub architecture: Option<String>,
    pub ephemeral_storage: Option<i64>,
    pub reserved_concurrency: Option<i64>,
    pub provisioned_concurrency: Option<i64>,
    pub tracing: Option<Tracing>,
    pub vpc: Option<Value>,
    pub layers: Option<Vec<Value>>,
    pub tags: IndexMap<String, Value>,
    pub kms_key_arn: Option<Value>,
    pub on_error: Option<Value>,
    pub destinations: Option<Destinations>,
    pub url: Option<FunctionUrl>,
    pub package: FunctionPackage,
    pub events: Vec<Event>,
    pub disable_logs: bool,
    pub log_retention_in_days: Option<i64>,
    pub maximum_event_age: Option<i64>,
    pub maximum_retry_attempts: Option<i64>,
    pub condition: Option<Value>,
    pub depends_on: Vec<Value>,
    pub snap_start: bool,
    pub file_system_config: Option<Value>,
    pub runtime_management: Option<RuntimeManagement>,
    /// `logs:` — Lambda's advanced logging (format, levels, log group); else the provider's
    /// `logs.lambda`, whole (v3 does not merge the two).
    pub logging: Option<Logging>,
    /// `logDataProtectionPolicy` of the function's log group: its own, else the provider's.
    pub log_data_protection_policy: Option<Value>,
    /// `recursiveLoop`: `Allow` or `Terminate`.
    pub recursive_loop: Option<String>,
    /// `httpApi.payload`: this function's HTTP API payload format, over the provider's.
    pub http_api_payload: Option<String>,
    /// `versionFunction: false` turns versions off for this function alone.
    pub version: Option<bool>,
}

impl Function {
    /// The VPC the function runs in: its own `vpc`, else the provider's. `vpc: ~` on the
    /// function takes it out of the provider's VPC, as in v3.
    pub fn vpc<'a>(&'a self, provider: &'a Provider) -> Option<&'a Value> {
        match &self.vpc {
            Some(Value::Null) => None,
            Some(v) => Some(v),
            None => provider.vpc.as_ref().filter(|v| !v.is_null()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FunctionPackage {
    pub patterns: Vec<String>,
    pub individually: Option<bool>,
    pub artifact: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Package {
    pub patterns: Vec<String>,
    pub individually: bool,
    pub artifact: Option<String>,
    pub exclude_dev_dependencies: bool,
    /// `package.path`: where `package` writes the package and `deploy` deploys it from, as
    /// `--package DIR` does (relative to the service directory).
    pub path: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub key: String,
    pub path: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub compatible_runtimes: Option<Value>,
    pub compatible_architectures: Option<Value>,
    pub license_info: Option<String>,
    pub retain: bool,
    pub allowed_accounts: Vec<String>,
    pub package: FunctionPackage,
}

/// `resources:` as written, with its sections kept apart.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub resources: serde_json::Map<String, Value>,
    pub outputs: serde_json::Map<String, Value>,
    pub conditions: serde_json::Map<String, Value>,
    pub mappings: serde_json::Map<String, Value>,
    pub parameters: serde_json::Map<String, Value>,
    pub metadata: serde_json::Map<String, Value>,
    pub rules: serde_json::Map<String, Value>,
    pub transform: Option<Value>,
    pub description: Option<String>,
    pub extensions: serde_json::Map<String, Value>,
}

/// `tracing` (function) or `provider.tracing.lambda`: X-Ray's mode. `false` is no tracing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracing {
    Active,
    PassThrough,
}

impl Tracing {
    pub fn mode(self) -> &'static str {
        match self {
            Tracing::Active => "Active",
            Tracing::PassThrough => "PassThrough",
        }
    }
}

/// `runtimeManagement`: when Lambda moves the function to a new runtime version.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeManagement {
    Auto,
    OnFunctionUpdate,
    /// Pinned to one runtime version ARN (a string or an intrinsic).
    Manual {
        arn: Value,
    },
}

/// `image`: a container image, by URI or by the name of one of `provider.ecr.images`.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub source: ImageSource,
    /// `command`, `entryPoint`, `workingDirectory` as Lambda's `ImageConfig` (they override
    /// the image's CMD, ENTRYPOINT and WORKDIR).
    pub config: serde_json::Map<String, Value>,
}

/// Where a function's image comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// A URI (a string or an intrinsic): `repo@sha256:…`, or `repo:tag`, which packaging
    /// resolves to the digest the tag names ([`crate::package::images`]).
    Uri(Value),
    /// A name in `provider.ecr.images`, which packaging builds and pushes, or whose `uri` it
    /// takes.
    Named(String),
}

/// `provider.ecr`: the images functions name, and the repository sls-rs pushes built ones to
/// (`serverless-<service>-<stage>`, [`crate::naming::ecr_repository_name`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ecr {
    pub scan_on_push: bool,
    /// Images beyond this many expire (the repository's lifecycle policy).
    pub max_image_count: Option<i64>,
    pub images: IndexMap<String, EcrImage>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EcrImage {
    /// `uri:` (or a URI as the whole value): an image pushed elsewhere.
    Uri(String),
    /// `path:` (or a path as the whole value): built with `docker` from a Dockerfile.
    Build(ImageBuild),
}

/// How `docker build` builds one of `provider.ecr.images`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBuild {
    /// The build context, relative to the service directory.
    pub path: String,
    /// The Dockerfile, relative to `path` (default `Dockerfile`).
    pub file: String,
    pub build_args: IndexMap<String, String>,
    /// Passed to `docker build` as they are.
    pub build_options: Vec<String>,
    pub cache_from: Vec<String>,
    pub platform: Option<String>,
    pub provenance: Option<String>,
}

/// `url`: a function URL.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionUrl {
    /// `authorizer: aws_iam`; otherwise the URL is public.
    pub aws_iam: bool,
    /// `cors`: CloudFormation's `Cors` (v3's defaults with the user's keys over them).
    pub cors: Option<serde_json::Map<String, Value>>,
    pub invoke_mode: Option<Value>,
}

/// `destinations`: where Lambda sends the result of an asynchronous invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Destinations {
    pub on_success: Option<Destination>,
    pub on_failure: Option<Destination>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// Another function of this service, by its key.
    Function(String),
    /// An ARN (a string or an intrinsic) and what it names.
    Arn { arn: Value, kind: DestinationKind },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    Lambda,
    Sqs,
    Sns,
    EventBus,
}

/// `logs` on a function: Lambda's advanced logging controls, in CloudFormation's names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logging {
    pub config: serde_json::Map<String, Value>,
}
