//! The second stage: a validated [`Service`] → the two CloudFormation templates v3 would deploy.
//!
//! Pure: no filesystem, no network, no clock. The artifact hashes (from the packager) and the
//! deployment timestamp are inputs, so the same input gives byte-identical JSON.
//!
//! Resources are emitted in v3's order (bucket, log groups, role, layers, functions, versions,
//! then events, then the user's `resources:`), which keeps diffs against a v3 template readable.

pub(crate) mod custom_resources;
mod function;
pub mod split;
pub use function::image_digest;
mod iam;
mod limits;
mod merge;

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use crate::clock::iso8601;
use crate::error::{Diagnostic, Error, Result};
use crate::manifest::service::Service;
use crate::naming;

/// The deployment bucket and its policy: see `templates/README.md` for how they differ from v3.
const DEPLOYMENT_BUCKET: &str = include_str!("../../templates/deployment-bucket.json");

pub const DESCRIPTION: &str = "The AWS CloudFormation template for this Serverless application";

/// One zip the packager built (or the user supplied with `package.artifact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The file name inside the deployment directory: `svc.zip`, `hello.zip`.
    pub name: String,
    /// base64 sha256 of the zip: the function's CodeSha256.
    pub sha256: String,
    /// hex sha256, for layer hash outputs and S3 metadata.
    pub sha256_hex: String,
    pub size: u64,
}

/// Every artifact of a package, by what uses it.
#[derive(Debug, Clone, Default)]
pub struct Artifacts {
    /// The shared service zip (absent when every function is packaged individually).
    pub service: Option<Artifact>,
    pub functions: IndexMap<String, Artifact>,
    pub layers: IndexMap<String, Artifact>,
}

impl Artifacts {
    pub fn for_function(&self, key: &str) -> Option<&Artifact> {
        self.functions.get(key).or(self.service.as_ref())
    }
}

/// When this deployment happens; names the S3 directory and the API Gateway deployment.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    pub timestamp_ms: u64,
}

impl Deployment {
    /// `serverless/<service>/<stage>/<epochMs>-<ISO8601>` (prefix from `deploymentPrefix`).
    pub fn directory(&self, s: &Service) -> String {
        format!(
            "{}{}-{}",
            s.deployment_prefix(),
            self.timestamp_ms,
            iso8601(self.timestamp_ms)
        )
    }
}

/// The compiled templates.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `cloudformation-template-create-stack.json`; `None` with `provider.deploymentBucket`.
    pub create: Option<Value>,
    /// `cloudformation-template-update-stack.json`.
    pub update: Value,
    /// The deployment directory in the bucket.
    pub directory: String,
    /// Nested stacks of functions, when the service is past one stack's limits
    /// ([`split`]); uploaded beside the zips.
    pub nested: Vec<split::Nested>,
    /// What packaging says on standard error without failing: nested stacks near a limit
    /// ([`limits::HEADROOM_PERCENT`]). Empty for a package read back from disk.
    pub warnings: Vec<Diagnostic>,
}

impl Plan {
    /// The update template with the nested stacks' resources beside the root's, each as
    /// `<stack>/<id>` (`diff::flatten`), as `diff` and approval compare them.
    pub fn flat(&self) -> Value {
        crate::diff::flatten(
            &self.update,
            self.nested.iter().map(|n| (n.id.as_str(), &n.template)),
        )
    }

    /// The resource `id` wherever it is, in the root or in its nested stack.
    pub fn resource(&self, id: &str) -> Option<&Value> {
        self.update["Resources"].get(id).or_else(|| {
            self.nested
                .iter()
                .find_map(|n| n.template["Resources"].get(id))
        })
    }
}

/// A CloudFormation template being built. Insertion order is kept.
#[derive(Debug, Default)]
pub(crate) struct Template {
    pub resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
}

impl Template {
    /// Lets `hook` see and change the template so far.
    fn hand_over(&mut self, stage: Stage, hook: Hook) -> Result<()> {
        let mut v = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": std::mem::take(&mut self.resources),
            "Outputs": std::mem::take(&mut self.outputs),
        });
        let r = hook(stage, &mut v);
        let take = |v: &mut Value, k: &str| match v.get_mut(k).map(Value::take) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        self.resources = take(&mut v, "Resources");
        self.outputs = take(&mut v, "Outputs");
        r
    }
}

/// State shared by the parts of the planner while one template is compiled.
pub(crate) struct Compiler<'a> {
    pub service: &'a Service,
    pub artifacts: &'a Artifacts,
    pub deployment: Deployment,
    pub t: Template,
    pub diags: Vec<Diagnostic>,
    /// What the plan should say without failing (nested stacks near a limit).
    pub warnings: Vec<Diagnostic>,
    /// IAM statements events need on the shared role, by kind, in v3's order.
    pub role_statements: IndexMap<&'static str, (Vec<&'static str>, Vec<Value>)>,
    /// Whether the shared execution role is generated.
    pub has_role: bool,
    /// Services besides Lambda that may assume the shared role (EventBridge Scheduler).
    pub role_principals: Vec<&'static str>,
    /// Retained layers get a content hash in their logical ID (as in v3), so references to
    /// `<Name>LambdaLayer` are rewritten to it.
    pub layer_ids: std::collections::HashMap<String, String>,
}

impl Compiler<'_> {
    /// Adds a resource; a logical ID generated twice is a conflict between two parts of the
    /// configuration, reported rather than silently overwritten.
    pub fn add(&mut self, id: impl Into<String>, resource: Value) {
        let id = id.into();
        if self.t.resources.contains_key(&id) {
            self.diags.push(
                Diagnostic::error(format!("two parts of the configuration both generate resource `{id}`"))
                    .hint("two events of one function probably target the same queue, stream, topic or route; remove the duplicate"),
            );
            return;
        }
        self.t.resources.insert(id, resource);
    }

    pub fn resource_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.t.resources.get_mut(id).and_then(Value::as_object_mut)
    }

    /// A generated output, exported as `sls-<service>-<stage>-<Key>` like v3.
    pub fn output(&mut self, key: &str, description: Option<&str>, value: Value) {
        let mut o = Map::new();
        if let Some(d) = description {
            o.insert("Description".into(), json!(d));
        }
        o.insert("Value".into(), value);
        o.insert(
            "Export".into(),
            json!({ "Name": naming::export_name(&self.service.name, &self.service.stage, key) }),
        );
        self.t.outputs.insert(key.to_string(), Value::Object(o));
    }

    /// Adds `actions` on `resource` to the shared role's statement for `kind`.
    pub fn role_statement(
        &mut self,
        kind: &'static str,
        actions: &[&'static str],
        resource: Value,
    ) {
        let entry = self
            .role_statements
            .entry(kind)
            .or_insert_with(|| (actions.to_vec(), Vec::new()));
        if !entry.1.contains(&resource) {
            entry.1.push(resource);
        }
    }

    /// Whether `f` runs with the shared execution role (generated, and no `role` of its own),
    /// so events may add the statements it needs to it.
    pub fn uses_shared_role(&self, f: &crate::manifest::service::Function) -> bool {
        self.has_role && f.role.is_none()
    }

    /// `{Fn::GetAtt: [<Fn>LambdaFunction, Arn]}`.
    pub fn function_arn(key: &str) -> Value {
        json!({ "Fn::GetAtt": [naming::function_logical_id(key), "Arn"] })
    }

    /// The deployment bucket: `{Ref: ServerlessDeploymentBucket}` or the configured name.
    pub fn bucket_ref(&self) -> Value {
        match self.service.provider.custom_bucket() {
            Some(name) => Value::String(name),
            None => json!({ "Ref": naming::BUCKET_ID }),
        }
    }

    pub fn s3_key(&self, artifact: &str) -> String {
        format!("{}/{}", self.deployment.directory(self.service), artifact)
    }
}

/// `arn:<partition>:…` built with `Fn::Join`, as v3 writes it.
pub(crate) fn join(parts: Vec<Value>) -> Value {
    json!({ "Fn::Join": ["", parts] })
}

pub(crate) fn partition() -> Value {
    json!({ "Ref": "AWS::Partition" })
}

pub(crate) fn region() -> Value {
    json!({ "Ref": "AWS::Region" })
}

pub(crate) fn account() -> Value {
    json!({ "Ref": "AWS::AccountId" })
}

pub(crate) use crate::cfn::{copy_keys, pick};

/// The URI API Gateway invokes a Lambda function through (`…/functions/<arn>/invocations`).
pub(crate) fn invoke_uri(function_arn: Value) -> Value {
    join(vec![
        json!("arn:"),
        partition(),
        json!(":apigateway:"),
        region(),
        json!(":lambda:path/2015-03-31/functions/"),
        function_arn,
        json!("/invocations"),
    ])
}

/// `arn:<partition>:execute-api:<region>:<account>:<api><suffix>`, a permission's SourceArn.
pub(crate) fn execute_api_arn(api: Value, suffix: &str) -> Value {
    join(vec![
        json!("arn:"),
        partition(),
        json!(":execute-api:"),
        region(),
        json!(":"),
        account(),
        json!(":"),
        api,
        json!(suffix),
    ])
}

/// A Lambda permission for `principal`, v3's shape.
pub(crate) fn permission(key: &str, principal: &str, source_arn: Option<Value>) -> Value {
    let mut p = Map::new();
    p.insert("FunctionName".into(), Compiler::function_arn(key));
    p.insert("Action".into(), json!("lambda:InvokeFunction"));
    p.insert("Principal".into(), json!(principal));
    if let Some(arn) = source_arn {
        p.insert("SourceArn".into(), arn);
    }
    json!({ "Type": "AWS::Lambda::Permission", "Properties": p })
}

/// Compiles the service. Conflicts and exceeded limits are errors naming their cause.
/// Where [`plan_with`] lets plugins see and change the template being compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Layers and functions are compiled (`package:compileFunctions`).
    Functions,
    /// Events are compiled (`package:compileEvents`, `before:package:finalize`).
    Events,
    /// The user's `resources:` are merged (`aws:package:finalize:mergeCustomProviderResources`).
    Merged,
}

/// A callback at each [`Stage`]: it gets the template so far and may change it.
pub type Hook<'a> = &'a mut dyn FnMut(Stage, &mut Value) -> Result<()>;

pub fn plan(service: &Service, artifacts: &Artifacts, deployment: Deployment) -> Result<Plan> {
    plan_with(service, artifacts, deployment, None)
}

/// [`plan`] with a [`Hook`] (plugins), whose changes go through the same limits.
pub fn plan_with(
    service: &Service,
    artifacts: &Artifacts,
    deployment: Deployment,
    mut hook: Option<Hook>,
) -> Result<Plan> {
    let bucket: Value = serde_json::from_str(DEPLOYMENT_BUCKET)
        .map_err(|e| Error::failed(format!("internal: templates/deployment-bucket.json: {e}")))?;
    let mut bucket_resources = bucket["Resources"].as_object().cloned().unwrap_or_default();
    let own_bucket = service.provider.custom_bucket().is_none();
    if let Some(settings) = &service.provider.deployment_bucket {
        // v3's settings of the bucket it creates: its tags, and no TLS-only policy with
        // `skipPolicySetup`; versioning and the public access block are on unless turned off.
        if !settings.tags.is_empty() {
            let tags: Vec<Value> = settings
                .tags
                .iter()
                .map(
                    |(k, v)| json!({ "Key": k, "Value": crate::manifest::variables::stringify(v) }),
                )
                .collect();
            if let Some(props) = bucket_resources
                .get_mut(naming::BUCKET_ID)
                .and_then(|b| b["Properties"].as_object_mut())
            {
                props.insert("Tags".into(), Value::Array(tags));
            }
        }
        if settings.skip_policy_setup {
            bucket_resources.shift_remove(naming::BUCKET_POLICY_ID);
        }
        if let Some(props) = bucket_resources
            .get_mut(naming::BUCKET_ID)
            .and_then(|b| b["Properties"].as_object_mut())
        {
            if !settings.versioning {
                props.shift_remove("VersioningConfiguration");
            }
            if !settings.block_public_access {
                props.shift_remove("PublicAccessBlockConfiguration");
            }
        }
    }

    let mut c = Compiler {
        service,
        artifacts,
        deployment,
        t: Template::default(),
        diags: Vec::new(),
        warnings: Vec::new(),
        role_statements: IndexMap::new(),
        has_role: false,
        role_principals: Vec::new(),
        layer_ids: std::collections::HashMap::new(),
    };
    if own_bucket {
        for (id, r) in &bucket_resources {
            c.add(id.clone(), r.clone());
        }
    }
    let bucket_output = if own_bucket {
        json!({ "Ref": naming::BUCKET_ID })
    } else {
        c.bucket_ref()
    };

    function::log_groups(&mut c);
    iam::reserve_role(&mut c);
    function::layers(&mut c);
    function::functions(&mut c);
    if let Some(h) = hook.as_mut() {
        c.t.hand_over(Stage::Functions, &mut **h)?;
    }

    let before_events: std::collections::HashSet<String> = c.t.resources.keys().cloned().collect();
    crate::events::schedule::compile(&mut c);
    crate::events::s3::compile(&mut c);
    crate::events::http::compile(&mut c);
    crate::events::websocket::compile(&mut c);
    crate::events::http_api::compile(&mut c);
    crate::events::sns::compile(&mut c);
    crate::events::stream::compile(&mut c);
    crate::events::mq::compile(&mut c);
    crate::events::sqs::compile(&mut c);
    crate::events::event_bridge::compile(&mut c);
    crate::events::cloudwatch::compile(&mut c);
    crate::events::iot::compile(&mut c);
    crate::events::cognito::compile(&mut c);
    crate::events::alb::compile(&mut c);
    crate::events::cloudfront::compile(&mut c);

    function::route_events_to_aliases(&mut c, &before_events);
    iam::finish_role(&mut c);
    if let Some(h) = hook.as_mut() {
        c.t.hand_over(Stage::Events, &mut **h)?;
    }

    // v3 puts the bucket-name output first.
    let mut outputs = Map::new();
    let bucket_export = naming::export_name(
        &service.name,
        &service.stage,
        naming::DEPLOYMENT_BUCKET_NAME_OUTPUT,
    );
    outputs.insert(
        naming::DEPLOYMENT_BUCKET_NAME_OUTPUT.into(),
        json!({ "Value": bucket_output, "Export": { "Name": bucket_export } }),
    );
    outputs.extend(std::mem::take(&mut c.t.outputs));
    c.t.outputs = outputs;

    let mut update = merge::user_resources(&mut c);
    if let Some(h) = hook.as_mut() {
        (*h)(Stage::Merged, &mut update)?;
    }
    limits::check(&mut c, &update);
    let directory = deployment.directory(service);
    let (update, nested) = if split::needed(&update) || service.provider.stack.nested {
        split::split(service, update, &directory, &c.bucket_ref())
    } else {
        (update, Vec::new())
    };
    limits::sizes(&mut c, &update, None, !nested.is_empty());
    for n in &nested {
        limits::sizes(&mut c, &n.template, Some(&n.id), true);
    }
    if !c.diags.is_empty() {
        return Err(Error::Config(c.diags));
    }
    let create = own_bucket.then(|| {
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": DESCRIPTION,
            "Resources": bucket_resources,
            "Outputs": { naming::DEPLOYMENT_BUCKET_NAME_OUTPUT: { "Value": { "Ref": naming::BUCKET_ID } } }
        })
    });
    Ok(Plan {
        create,
        update,
        directory,
        nested,
        warnings: c.warnings,
    })
}

/// Renders a template the way it is written to disk and uploaded: pretty JSON, stable order.
pub fn render(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The length of [`render`]'s text, counted without keeping it.
pub fn rendered_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer_pretty(&mut c, v);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_template_parses() {
        let v: Value = serde_json::from_str(DEPLOYMENT_BUCKET).unwrap();
        assert!(v["Resources"][naming::BUCKET_ID].is_object());
        assert!(v["Resources"][naming::BUCKET_POLICY_ID].is_object());
    }
}
