//! CloudFormation: what state a stack is in, creating and updating it (change set or direct),
//! deleting it, and following its events until it settles — with the failed resource and AWS's
//! reason when it does not.

use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, Stack, StackStatus, Tag,
};

use crate::manifest::service::StackSettings;

use super::{aws_error, code, describe, Aws};
use crate::error::{Error, Result};
use crate::progress::Progress;

pub const CAPABILITIES: [Capability; 3] = [
    Capability::CapabilityIam,
    Capability::CapabilityNamedIam,
    Capability::CapabilityAutoExpand,
];

/// `None` when the stack does not exist.
pub async fn describe_stack(aws: &Aws, name: &str) -> Result<Option<Stack>> {
    match aws.cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e)
            if code(&e).as_deref() == Some("ValidationError")
                && describe(&e).contains("does not exist") =>
        {
            Ok(None)
        }
        Err(e) => Err(aws_error("DescribeStacks", &e)),
    }
}

pub fn status(stack: &Stack) -> String {
    stack
        .stack_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

/// A stack's outputs as `(key, value)`.
pub fn outputs(stack: &Stack) -> Vec<(String, String)> {
    stack.outputs().iter().map(output).collect()
}

/// The outputs of `stack` that have an export name, as `(key, value)`.
pub fn exported_outputs(stack: &Stack) -> Vec<(String, String)> {
    stack
        .outputs()
        .iter()
        .filter(|o| o.export_name().is_some())
        .map(output)
        .collect()
}

fn output(o: &aws_sdk_cloudformation::types::Output) -> (String, String) {
    (
        o.output_key().unwrap_or_default().to_string(),
        o.output_value().unwrap_or_default().to_string(),
    )
}

/// How a followed operation ended.
#[derive(Debug)]
pub struct Settled {
    pub status: String,
    pub ok: bool,
    /// The first resource that failed: logical ID, type, AWS's reason.
    pub failure: Option<(String, String, String)>,
}

/// Where to read the template from: inline for small ones, S3 otherwise.
pub enum Body {
    Inline(String),
    Url(String),
}

/// The newest event of the stack: what [`follow`] starts after.
pub async fn latest_event(aws: &Aws, name: &str) -> Result<Option<String>> {
    match aws
        .cfn
        .describe_stack_events()
        .stack_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o
            .stack_events()
            .first()
            .and_then(|e| e.event_id())
            .map(String::from)),
        Err(e) if describe(&e).contains("does not exist") => Ok(None),
        Err(e) => Err(aws_error("DescribeStackEvents", &e)),
    }
}

/// Follows the stack's events after `baseline` (the newest event before the operation began,
/// from [`latest_event`]) until its status is no longer in progress. Each resource's progress
/// is shown as it happens, those inside nested stacks too (`Stack › Resource`), read from each
/// nested stack's own events while the root shows it in progress. Ctrl-C stops following (not
/// the operation) and says how to check.
pub async fn follow(
    aws: &Aws,
    name: &str,
    baseline: Option<String>,
    timeout: Option<Duration>,
    progress: &Progress,
) -> Result<Settled> {
    let started = Instant::now();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut failure: Option<(String, String, String)> = None;
    // The failed resource's physical ID, where it is a nested stack.
    let mut failed_nested: Option<String> = None;
    // Nested stacks this operation touches, by ARN.
    let mut nested: std::collections::BTreeMap<String, Inner> = std::collections::BTreeMap::new();
    let mut delay = Duration::from_millis(200);
    loop {
        // Events, oldest first, only this operation's.
        let events = match events_until(aws, name, |ev| {
            baseline.is_some() && ev.event_id() == baseline.as_deref()
        })
        .await
        {
            Err(e) if describe(&e).contains("does not exist") => Vec::new(),
            Err(e) => return Err(aws_error("DescribeStackEvents", &e)),
            Ok(events) => events,
        };
        for ev in events {
            let id = ev.event_id().unwrap_or_default().to_string();
            if !seen.insert(id) {
                continue;
            }
            let line = Line::of(&ev);
            progress.line(&line.text(None));
            // A nested stack at work: its own events are followed from here.
            if line.ty == "AWS::CloudFormation::Stack" && line.logical != name {
                if let Some(arn) = ev.physical_resource_id().filter(|a| a.starts_with("arn:")) {
                    let inner = nested.entry(arn.to_string()).or_insert_with(|| Inner {
                        logical: line.logical.clone(),
                        since: None,
                        settled: false,
                        read_at: None,
                    });
                    if line.status.ends_with("_IN_PROGRESS") {
                        // Started, or started again (a rollback): read from here.
                        if inner.since.is_none() {
                            inner.since = ev.timestamp().cloned();
                        }
                        inner.settled = false;
                    } else {
                        inner.settled = true;
                    }
                }
            }
            if failure.is_none() && line.is_failure() && line.logical != name {
                if line.ty == "AWS::CloudFormation::Stack" {
                    failed_nested = ev.physical_resource_id().map(String::from);
                }
                failure = Some((line.logical, line.ty, line.reason));
            }
        }
        // The nested stacks' events since the root started each one, a few at a time and each
        // at most every [`INNER_EVERY`]; one read after a nested stack settles catches its last
        // events.
        let reads = nested
            .iter()
            .filter(|(_, n)| {
                n.since.is_some()
                    && (n.settled || n.read_at.is_none_or(|t| t.elapsed() >= INNER_EVERY))
            })
            .map(|(arn, n)| async move { (arn.clone(), inner_events(aws, arn, n).await) });
        for (arn, evs) in super::bounded(reads).await {
            let Some(n) = nested.get_mut(&arn) else {
                continue;
            };
            n.read_at = Some(Instant::now());
            for ev in evs {
                if !seen.insert(ev.event_id().unwrap_or_default().to_string()) {
                    continue;
                }
                progress.line(&Line::of(&ev).text(Some(&n.logical)));
            }
            if n.settled {
                // Read once after it settled: nothing more to come from it.
                n.since = None;
            }
        }
        let stack = describe_stack(aws, name).await?;
        let st = stack
            .as_ref()
            .map(status)
            .unwrap_or_else(|| "DELETE_COMPLETE".into());
        if !st.ends_with("_IN_PROGRESS") {
            progress.finish();
            let ok = matches!(
                st.as_str(),
                "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE"
            );
            if !ok && failure.is_none() {
                if let Some(reason) = stack.as_ref().and_then(|s| s.stack_status_reason()) {
                    failure = Some((
                        name.to_string(),
                        "AWS::CloudFormation::Stack".into(),
                        reason.to_string(),
                    ));
                }
            }
            // A nested stack failed: the resource inside it that did, and AWS's reason.
            if let (Some((stack_id, _, _)), Some(arn)) = (&failure, &failed_nested) {
                if let Some((logical, ty, reason)) = nested_failure(aws, arn).await {
                    failure = Some((format!("{stack_id} › {logical}"), ty, reason));
                }
            }
            return Ok(Settled {
                status: st,
                ok,
                failure,
            });
        }
        progress.status(&format!("{name}: {st} ({} s)", started.elapsed().as_secs()));
        if let Some(t) = timeout {
            if started.elapsed() > t {
                progress.finish();
                return Err(Error::failed_with_hint(
                    format!("stopped waiting after {} s; stack {name} is still {st}", t.as_secs()),
                    format!("CloudFormation goes on; check it with `aws cloudformation describe-stack-events --stack-name {name}`"),
                ));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tokio::signal::ctrl_c() => {
                progress.finish();
                return Err(Error::failed_with_hint(
                    format!("interrupted: stopped following stack {name}, which is still {st}"),
                    format!("CloudFormation carries on without sls-rs; follow it with `aws cloudformation describe-stack-events --stack-name {name}` or run `sls-rs info`"),
                ));
            }
        }
        delay = (delay * 2).min(Duration::from_secs(3));
    }
}

/// A nested stack being followed: its logical ID in the root, when the root started it (`None`
/// before, and once its last events are read, until the root starts it again), whether the root
/// has seen it settle.
struct Inner {
    logical: String,
    since: Option<aws_sdk_cloudformation::primitives::DateTime>,
    settled: bool,
    /// When its events were last read.
    read_at: Option<Instant>,
}

/// How often a nested stack's events are read while it is in progress: dozens of nested stacks
/// update at once, and their reads share the account's CloudFormation rate limit.
const INNER_EVERY: Duration = Duration::from_secs(3);

/// One event as a progress line.
struct Line {
    status: String,
    ty: String,
    logical: String,
    reason: String,
}

impl Line {
    fn of(ev: &aws_sdk_cloudformation::types::StackEvent) -> Line {
        Line {
            status: ev
                .resource_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            ty: ev.resource_type().unwrap_or_default().to_string(),
            logical: ev.logical_resource_id().unwrap_or_default().to_string(),
            reason: ev.resource_status_reason().unwrap_or_default().to_string(),
        }
    }

    /// `  STATUS  TYPE  [Stack › ]Resource[ — reason]`.
    fn text(&self, inside: Option<&str>) -> String {
        let (status, ty, logical) = (&self.status, &self.ty, &self.logical);
        let at = inside.map(|s| format!("{s} › ")).unwrap_or_default();
        let reason = if self.reason.is_empty() {
            String::new()
        } else {
            format!(" — {}", self.reason)
        };
        format!("  {status:<28} {ty:<40} {at}{logical}{reason}")
    }

    /// A resource that failed, not one only cancelled because another did.
    fn is_failure(&self) -> bool {
        self.status.ends_with("_FAILED")
            && !self.reason.contains("Resource update cancelled")
            && !self.reason.contains("Resource creation cancelled")
    }
}

/// The events of the nested stack `arn` since `n.since`, oldest first, its own (the stack's
/// status, which the root shows) left out. Unreadable events are skipped: progress is a view.
async fn inner_events(
    aws: &Aws,
    arn: &str,
    n: &Inner,
) -> Vec<aws_sdk_cloudformation::types::StackEvent> {
    let mut events = events_until(aws, arn, |ev| ev.timestamp() < n.since.as_ref())
        .await
        .unwrap_or_default();
    events.retain(|ev| ev.physical_resource_id() != Some(arn));
    events
}

/// The stack's events newer than the first (newest first) that `stop` accepts, oldest first.
async fn events_until(
    aws: &Aws,
    stack: &str,
    stop: impl Fn(&aws_sdk_cloudformation::types::StackEvent) -> bool,
) -> std::result::Result<
    Vec<aws_sdk_cloudformation::types::StackEvent>,
    aws_sdk_cloudformation::error::SdkError<
        aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsError,
    >,
> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    'pages: loop {
        let page = aws
            .cfn
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token.clone())
            .send()
            .await?;
        for ev in page.stack_events() {
            if stop(ev) {
                break 'pages;
            }
            out.push(ev.clone());
        }
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// The first resource that failed in the nested stack `arn` (its latest operation): logical
/// ID, type, reason. Nested stacks' own failures ("Embedded stack … was not successfully …")
/// point at the resource; a failure that is only a cancellation does not.
async fn nested_failure(aws: &Aws, arn: &str) -> Option<(String, String, String)> {
    let out = aws
        .cfn
        .describe_stack_events()
        .stack_name(arn)
        .send()
        .await
        .ok()?;
    // Newest first: the operation's events run back to where it began.
    let mut failed = None;
    for ev in out.stack_events() {
        let status = ev.resource_status().map(|s| s.as_str()).unwrap_or_default();
        let ty = ev.resource_type().unwrap_or_default();
        let own = ev.physical_resource_id() == Some(arn);
        if own
            && (status.ends_with("_IN_PROGRESS")
                && ev
                    .resource_status_reason()
                    .is_none_or(|r| r == "User Initiated"))
        {
            break;
        }
        let reason = ev.resource_status_reason().unwrap_or_default();
        if !own
            && status.ends_with("_FAILED")
            && !reason.contains("Resource update cancelled")
            && !reason.contains("Resource creation cancelled")
        {
            failed = Some((
                ev.logical_resource_id().unwrap_or_default().to_string(),
                ty.to_string(),
                reason.to_string(),
            ));
        }
    }
    failed
}

/// The error for an operation that did not settle well.
pub fn failed(name: &str, action: &str, s: &Settled) -> Error {
    let msg = match &s.failure {
        Some((id, ty, reason)) => format!(
            "{action} of stack {name} failed: {id} ({ty}): {reason}; the stack is now {}",
            s.status
        ),
        None => format!(
            "{action} of stack {name} failed; the stack is now {}",
            s.status
        ),
    };
    let hint = match s.status.as_str() {
        "UPDATE_ROLLBACK_COMPLETE" => "CloudFormation rolled back to the previous deployment; fix the cause and deploy again".to_string(),
        "ROLLBACK_COMPLETE" => "the stack could not be created; fix the cause and deploy again (sls-rs deletes the empty stack first)".to_string(),
        "UPDATE_ROLLBACK_FAILED" => format!("the rollback itself failed; fix the resource, then run `aws cloudformation continue-update-rollback --stack-name {name}`"),
        _ => format!("see the stack's events: `aws cloudformation describe-stack-events --stack-name {name}`"),
    };
    Error::failed_with_hint(msg, hint)
}

/// What every create and update of the stack carries: `provider.stackTags` and the stack
/// settings (`stackPolicy`, `notificationArns`, `disableRollback`, `cfnRole`,
/// `stackParameters`).
pub struct StackOptions {
    pub tags: Vec<(String, String)>,
    pub settings: StackSettings,
}

impl StackOptions {
    pub fn of(service: &crate::manifest::Service) -> Self {
        StackOptions {
            tags: service
                .provider
                .stack_tags
                .iter()
                .map(|(k, v)| (k.clone(), crate::manifest::variables::stringify(v)))
                .collect(),
            settings: service.provider.stack.clone(),
        }
    }

    fn tags(&self) -> Vec<Tag> {
        self.tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    }

    fn parameters(&self) -> Option<Vec<Parameter>> {
        if self.settings.parameters.is_empty() {
            return None;
        }
        Some(
            self.settings
                .parameters
                .iter()
                .map(|(k, v)| {
                    Parameter::builder()
                        .parameter_key(k)
                        .parameter_value(v)
                        .build()
                })
                .collect(),
        )
    }

    fn notification_arns(&self) -> Option<Vec<String>> {
        (!self.settings.notification_arns.is_empty())
            .then(|| self.settings.notification_arns.clone())
    }

    /// `provider.rollbackConfiguration`, as CloudFormation takes it.
    fn rollback(&self) -> Option<aws_sdk_cloudformation::types::RollbackConfiguration> {
        let r = self.settings.rollback.as_ref()?;
        let triggers: Vec<aws_sdk_cloudformation::types::RollbackTrigger> = r
            .triggers
            .iter()
            .map(|(arn, kind)| {
                aws_sdk_cloudformation::types::RollbackTrigger::builder()
                    .arn(arn)
                    .r#type(kind)
                    .build()
            })
            .collect();
        Some(
            aws_sdk_cloudformation::types::RollbackConfiguration::builder()
                .set_monitoring_time_in_minutes(r.monitoring_minutes)
                .set_rollback_triggers(Some(triggers))
                .build(),
        )
    }

    /// CloudFormation's EXPRESS mode, when asked for; rollback stays as configured.
    fn deployment_config(&self) -> Option<aws_sdk_cloudformation::types::DeploymentConfig> {
        self.settings.express.then(|| {
            aws_sdk_cloudformation::types::DeploymentConfig::builder()
                .mode(aws_sdk_cloudformation::types::DeploymentConfigMode::Express)
                .build()
        })
    }

    /// The stack policy document, when one is configured.
    fn policy(&self) -> Option<String> {
        (!self.settings.policy.is_empty())
            .then(|| serde_json::json!({ "Statement": self.settings.policy }).to_string())
    }
}

/// CreateStack and UpdateStack take the same settings, on builders of different types.
macro_rules! stack_request {
    ($req:expr, $body:expr, $opts:expr) => {{
        let req = $req
            .set_capabilities(Some(CAPABILITIES.to_vec()))
            .set_tags(Some($opts.tags()))
            .set_parameters($opts.parameters())
            .set_notification_arns($opts.notification_arns())
            .set_role_arn($opts.settings.role_arn.clone())
            .set_rollback_configuration($opts.rollback())
            .set_stack_policy_body($opts.policy())
            .set_deployment_config($opts.deployment_config())
            .disable_rollback($opts.settings.disable_rollback);
        match $body {
            Body::Inline(t) => req.template_body(t),
            Body::Url(u) => req.template_url(u),
        }
    }};
}

pub async fn create(aws: &Aws, name: &str, body: &Body, opts: &StackOptions) -> Result<()> {
    stack_request!(aws.cfn.create_stack().stack_name(name), body, opts)
        .send()
        .await
        .map_err(|e| aws_error("CreateStack", &e))?;
    Ok(())
}

/// Creates a change set of `body` for the stack and waits until CloudFormation has computed
/// it: its ID, or `None` when there was nothing to change (the empty change set is deleted).
async fn computed_change_set(
    aws: &Aws,
    name: &str,
    body: &Body,
    opts: &StackOptions,
    prefix: &str,
) -> Result<Option<String>> {
    let cs_name = format!("{prefix}-{}", crate::clock::now_ms());
    let mut req = aws
        .cfn
        .create_change_set()
        .stack_name(name)
        .change_set_name(&cs_name)
        .change_set_type(ChangeSetType::Update)
        .set_capabilities(Some(CAPABILITIES.to_vec()))
        .set_tags(Some(opts.tags()))
        .set_parameters(opts.parameters())
        .set_notification_arns(opts.notification_arns())
        .set_role_arn(opts.settings.role_arn.clone())
        .set_rollback_configuration(opts.rollback())
        .set_deployment_config(opts.deployment_config());
    req = match body {
        Body::Inline(t) => req.template_body(t),
        Body::Url(u) => req.template_url(u),
    };
    let created = req
        .send()
        .await
        .map_err(|e| aws_error("CreateChangeSet", &e))?;
    let id = created.id().unwrap_or(&cs_name).to_string();
    let mut delay = Duration::from_millis(100);
    loop {
        let cs = aws
            .cfn
            .describe_change_set()
            .change_set_name(&id)
            .stack_name(name)
            .send()
            .await
            .map_err(|e| aws_error("DescribeChangeSet", &e))?;
        match cs.status() {
            Some(ChangeSetStatus::CreateComplete) => return Ok(Some(id)),
            Some(ChangeSetStatus::Failed) => {
                let reason = cs.status_reason().unwrap_or_default().to_string();
                let _ = aws
                    .cfn
                    .delete_change_set()
                    .change_set_name(&id)
                    .stack_name(name)
                    .send()
                    .await;
                if reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed")
                    || reason.contains("no changes")
                {
                    return Ok(None);
                }
                return Err(Error::failed_with_hint(format!("CloudFormation refused the change set for {name}: {reason}"), "fix the template problem AWS names; `sls-rs package --dry-run` shows the template"));
            }
            _ => {}
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// One resource's change as CloudFormation computed it in a change set.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    pub logical_id: String,
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// `True`, `False`, `Conditional` (for `Modify`).
    pub replacement: Option<String>,
    /// The properties whose change requires recreation: `(name, Always | Conditionally)`.
    pub recreated_by: Vec<(String, String)>,
}

/// What CloudFormation would do with `body`: a change set created, described and deleted;
/// nothing is executed. `None` when the change set has nothing in it.
pub async fn preview(
    aws: &Aws,
    name: &str,
    body: &Body,
    opts: &StackOptions,
) -> Result<Option<Vec<PlannedChange>>> {
    let Some(id) = computed_change_set(aws, name, body, opts, "sls-rs-diff").await? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let described: Result<()> = async {
        loop {
            let page = aws
                .cfn
                .describe_change_set()
                .change_set_name(&id)
                .stack_name(name)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| aws_error("DescribeChangeSet", &e))?;
            for c in page.changes() {
                let Some(rc) = c.resource_change() else {
                    continue;
                };
                let recreated_by = rc
                    .details()
                    .iter()
                    .filter_map(|d| {
                        let t = d.target()?;
                        let how = t.requires_recreation()?.as_str();
                        (how != "Never")
                            .then(|| (t.name().unwrap_or_default().to_string(), how.to_string()))
                    })
                    .collect();
                out.push(PlannedChange {
                    logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                    action: rc
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    replacement: rc.replacement().map(|r| r.as_str().to_string()),
                    recreated_by,
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(());
            }
        }
    }
    .await;
    // Deleted whether or not it could be read: a preview leaves nothing behind.
    let deleted = aws
        .cfn
        .delete_change_set()
        .change_set_name(&id)
        .stack_name(name)
        .send()
        .await
        .map_err(|e| aws_error("DeleteChangeSet", &e));
    described?;
    deleted?;
    Ok(Some(out))
}

/// Updates through a change set. `Ok(false)` when there was nothing to change.
pub async fn update_with_change_set(
    aws: &Aws,
    name: &str,
    body: &Body,
    opts: &StackOptions,
) -> Result<bool> {
    let Some(id) = computed_change_set(aws, name, body, opts, "sls-rs").await? else {
        return Ok(false);
    };
    aws.cfn
        .execute_change_set()
        .change_set_name(&id)
        .stack_name(name)
        .disable_rollback(opts.settings.disable_rollback)
        .send()
        .await
        .map_err(|e| aws_error("ExecuteChangeSet", &e))?;
    // A change set cannot carry a stack policy; it is set beside it.
    if let Some(policy) = opts.policy() {
        aws.cfn
            .set_stack_policy()
            .stack_name(name)
            .stack_policy_body(policy)
            .send()
            .await
            .map_err(|e| aws_error("SetStackPolicy", &e))?;
    }
    Ok(true)
}

/// Updates directly (`provider.deploymentMethod: direct`). `Ok(false)` when nothing changed.
pub async fn update_direct(
    aws: &Aws,
    name: &str,
    body: &Body,
    opts: &StackOptions,
) -> Result<bool> {
    let req = stack_request!(aws.cfn.update_stack().stack_name(name), body, opts);
    match req.send().await {
        Ok(_) => Ok(true),
        Err(e) if describe(&e).contains("No updates are to be performed") => Ok(false),
        Err(e) => Err(aws_error("UpdateStack", &e)),
    }
}

pub async fn delete(aws: &Aws, name: &str) -> Result<()> {
    aws.cfn
        .delete_stack()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| aws_error("DeleteStack", &e))?;
    Ok(())
}
/// Waits for the stack to be idle and clears the states a deploy cannot start from: a stack
/// whose creation failed (`ROLLBACK_COMPLETE`) is deleted, as is an empty `REVIEW_IN_PROGRESS`
/// stack an unexecuted change set left. `Ok(None)` when there is no stack (any more); an
/// error, with what to do, when only a person can fix the stack.
pub async fn ready_for_deploy(
    aws: &Aws,
    name: &str,
    timeout: Option<Duration>,
    progress: &Progress,
) -> Result<Option<Stack>> {
    let Some(s) = wait_until_idle(aws, name, timeout, progress).await? else {
        return Ok(None);
    };
    match status(&s).as_str() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
            progress.line(&format!(
                "stack {name} is {} after a failed create; deleting it and creating it again",
                status(&s)
            ));
            let base = latest_event(aws, name).await?;
            delete(aws, name).await?;
            let settled = follow(aws, name, base, timeout, progress).await?;
            if !settled.ok {
                return Err(failed(name, "Deletion", &settled));
            }
            Ok(None)
        }
        "REVIEW_IN_PROGRESS"
            if s.creation_time().is_some() && resources(aws, name).await?.is_empty() =>
        {
            progress.line(&format!("stack {name} is an empty REVIEW_IN_PROGRESS stack left by an unexecuted change set; removing it"));
            delete(aws, name).await?;
            Ok(None)
        }
        "UPDATE_ROLLBACK_FAILED" => Err(Error::failed_with_hint(
            format!("stack {name} is UPDATE_ROLLBACK_FAILED: a rollback could not finish, and CloudFormation accepts no update until it does"),
            format!("fix what the rollback tripped on (see `aws cloudformation describe-stack-events --stack-name {name}`), then run `aws cloudformation continue-update-rollback --stack-name {name}` and deploy again"),
        )),
        st @ ("DELETE_FAILED" | "CREATE_FAILED") => Err(Error::failed_with_hint(
            format!("stack {name} is {st}"),
            format!("inspect it with `aws cloudformation describe-stack-events --stack-name {name}`, then remove it (sls-rs remove) and deploy again"),
        )),
        _ => Ok(Some(s)),
    }
}

/// A stack that is busy: wait for it (with a message), up to `timeout`.
pub async fn wait_until_idle(
    aws: &Aws,
    name: &str,
    timeout: Option<Duration>,
    progress: &Progress,
) -> Result<Option<Stack>> {
    let started = Instant::now();
    let mut said = false;
    loop {
        let stack = describe_stack(aws, name).await?;
        let st = stack.as_ref().map(status).unwrap_or_default();
        if !st.ends_with("_IN_PROGRESS") || st == StackStatus::ReviewInProgress.as_str() {
            return Ok(stack);
        }
        if !said {
            progress.line(&format!(
                "stack {name} is {st}; waiting for it to finish before deploying"
            ));
            said = true;
        }
        if let Some(t) = timeout {
            if started.elapsed() > t {
                return Err(Error::failed_with_hint(
                    format!("stack {name} is still {st} after {} s", t.as_secs()),
                    "wait for the running operation to finish, or raise --timeout",
                ));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = tokio::signal::ctrl_c() => return Err(Error::failed(format!("interrupted while stack {name} was {st}; nothing was changed"))),
        }
    }
}

/// The template the stack was last deployed with (as sent, `Original`), or `None` when the stack
/// does not exist.
pub async fn deployed_template(aws: &Aws, name: &str) -> Result<Option<serde_json::Value>> {
    match aws
        .cfn
        .get_template()
        .stack_name(name)
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
        .send()
        .await
    {
        Ok(t) => crate::yaml::parse(t.template_body().unwrap_or("{}"))
            .map(Some)
            .map_err(|d| {
                Error::failed(format!(
                    "the deployed template of {name} could not be read: {}",
                    d.message
                ))
            }),
        Err(e) if code(&e).as_deref() == Some("ValidationError") => Ok(None),
        Err(e) => Err(aws_error("GetTemplate", &e)),
    }
}

/// The nested stacks of functions among a stack's [`resources`]: logical ID, physical ID.
pub fn nested_stacks(resources: &[(String, String, String)]) -> impl Iterator<Item = (&str, &str)> {
    resources
        .iter()
        .filter(|(logical, physical, kind)| {
            kind == "AWS::CloudFormation::Stack"
                && !physical.is_empty()
                && crate::naming::is_nested_stack_id(logical)
        })
        .map(|(logical, physical, _)| (logical.as_str(), physical.as_str()))
}

/// Whether the deployed `root` holds nested stacks of functions (`plan::split`'s); the user's
/// own `AWS::CloudFormation::Stack` resources are not.
pub fn has_nested(root: &serde_json::Value) -> bool {
    root["Resources"].as_object().is_some_and(|r| {
        r.iter().any(|(id, x)| {
            x["Type"] == "AWS::CloudFormation::Stack" && crate::naming::is_nested_stack_id(id)
        })
    })
}

/// The templates the stack's nested stacks of functions were deployed with, by logical ID,
/// read in parallel.
async fn deployed_nested(
    aws: &Aws,
    stack: &str,
    root: &serde_json::Value,
) -> Result<Vec<(String, serde_json::Value)>> {
    if !has_nested(root) {
        return Ok(Vec::new());
    }
    let held = resources(aws, stack).await?;
    let reads = nested_stacks(&held).map(|(logical, physical)| async move {
        deployed_template(aws, physical)
            .await
            .map(|t| t.map(|t| (logical.to_string(), t)))
    });
    let mut out = Vec::new();
    for read in super::bounded(reads).await {
        out.extend(read?);
    }
    Ok(out)
}

/// What a stack holds now: the root's template and each nested stack of functions' template by
/// logical ID.
pub struct Deployed {
    pub root: serde_json::Value,
    pub nested: Vec<(String, serde_json::Value)>,
}

impl Deployed {
    /// Every resource in one template, those of nested stacks as `<stack>/<id>`
    /// (`diff::flatten`).
    pub fn flat(&self) -> serde_json::Value {
        crate::diff::flatten(&self.root, self.nested.iter().map(|(s, t)| (s.as_str(), t)))
    }

    /// The resource `id` wherever it is, in the root or in its nested stack.
    pub fn resource(&self, id: &str) -> Option<&serde_json::Value> {
        self.root["Resources"]
            .get(id)
            .or_else(|| self.nested.iter().find_map(|(_, t)| t["Resources"].get(id)))
    }
}

/// Compiles `service` into the deployed stack's layout: a service deployed in nested stacks
/// stays in them whatever its size, so one that shrinks moves nothing back into the root.
pub fn keep_layout(service: &mut crate::manifest::Service, deployed: Option<&Deployed>) {
    service.provider.stack.nested |= deployed.is_some_and(|d| !d.nested.is_empty());
}

/// A resource the deployed stack holds in one stack (the root or a nested stack) that the plan
/// puts in another would be deleted and created again (a logical ID is per stack), and explicit
/// names collide on the way: such a deploy is refused before anything is uploaded.
/// CloudFormation's stack refactoring cannot make this move either: the nested stacks it would
/// move into do not exist yet (a refactor creates top-level stacks only) and would need new
/// parameters (a refactor adds none), and several resource types of functions' events
/// (`AWS::ApiGateway::Method`, `AWS::Lambda::EventInvokeConfig`) are not movable at all.
pub fn refuse_moves(stack: &str, deployed: &Deployed, plan: &crate::plan::Plan) -> Result<()> {
    use std::collections::BTreeMap;
    const ROOT: &str = "the root stack";
    // Where each resource is: the root, or a nested stack by logical ID.
    fn places<'a>(
        root: &'a serde_json::Value,
        nested: impl Iterator<Item = (&'a str, &'a serde_json::Value)>,
    ) -> BTreeMap<&'a str, &'a str> {
        let mut at: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, _) in root["Resources"].as_object().into_iter().flatten() {
            at.insert(id, ROOT);
        }
        for (stack, t) in nested {
            for (id, _) in t["Resources"].as_object().into_iter().flatten() {
                at.insert(id, stack);
            }
        }
        at
    }
    let held = places(
        &deployed.root,
        deployed.nested.iter().map(|(s, t)| (s.as_str(), t)),
    );
    let planned = places(
        &plan.update,
        plan.nested.iter().map(|n| (n.id.as_str(), &n.template)),
    );
    let moved: Vec<String> = planned
        .iter()
        .filter_map(|(id, to)| {
            let from = held.get(id)?;
            (from != to).then(|| format!("{id}: {from} → {to}"))
        })
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = moved.iter().take(5).map(String::as_str).collect();
    let hint = if moved.iter().any(|m| m.ends_with(ROOT)) {
        // Only a package built without reading the stack compiles it into one stack again.
        "the stack's functions are deployed in nested stacks and stay there: deploy without --package (sls-rs reads the deployed stack and compiles into the same nested stacks)"
    } else {
        "sls-rs never moves a deployed resource, and CloudFormation's stack refactoring cannot move functions into nested stacks that do not exist yet: keep the service within one stack (`versionFunctions: false` saves a resource per function) or move functions into another service (serverless-compose.yml)"
    };
    Err(Error::failed_with_hint(
        format!(
            "{} resource{} stack {stack} holds would move to another stack ({}{}): a resource moved between stacks is deleted and created again, and its explicit name collides on the way",
            moved.len(),
            if moved.len() == 1 { "" } else { "s" },
            shown.join("; "),
            if moved.len() > shown.len() { "; …" } else { "" }
        ),
        hint,
    ))
}

/// The deployed templates of stack `name` and its nested stacks; `None` when it does not exist.
pub async fn deployed(aws: &Aws, name: &str) -> Result<Option<Deployed>> {
    let Some(root) = deployed_template(aws, name).await? else {
        return Ok(None);
    };
    let nested = deployed_nested(aws, name, &root).await?;
    Ok(Some(Deployed { root, nested }))
}

/// The physical ID of one of the stack's resources.
pub async fn physical_id(aws: &Aws, name: &str, logical: &str) -> Result<Option<String>> {
    match aws
        .cfn
        .describe_stack_resource()
        .stack_name(name)
        .logical_resource_id(logical)
        .send()
        .await
    {
        Ok(o) => Ok(o
            .stack_resource_detail()
            .and_then(|d| d.physical_resource_id())
            .map(String::from)),
        Err(e) if code(&e).as_deref() == Some("ValidationError") => Ok(None),
        Err(e) => Err(aws_error("DescribeStackResource", &e)),
    }
}

/// Logical ID → physical ID of every resource of the stack.
pub async fn resources(aws: &Aws, name: &str) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .cfn
            .list_stack_resources()
            .stack_name(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_error("ListStackResources", &e))?;
        for r in page.stack_resource_summaries() {
            out.push((
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
                r.resource_type().unwrap_or_default().to_string(),
            ));
        }
        token = page.next_token().map(String::from);
        if token.is_none() {
            return Ok(out);
        }
    }
}
