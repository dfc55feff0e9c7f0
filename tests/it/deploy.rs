//! End to end against moto (a local AWS): deploy, redeploy unchanged, deploy a code change,
//! info, remove, remove again. What moto cannot do (rollbacks, per-resource events,
//! throttling, dropped connections) is in `deploy_faults.rs`.

use crate::common;

use crate::common::{Moto, Test};
use serde_json::Value;

const SERVICE: &str = "service: shop\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  region: us-east-1\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - http: GET users/create\n  worker:\n    handler: handler.hello\n    memorySize: 256\n    events:\n      - schedule: rate(1 hour)\n";

fn sls(t: &std::path::Path, moto: &Moto, args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    common::sls(t, &args, &moto.env())
}

fn code_sha_in_template(dir: &std::path::Path) -> String {
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".serverless/cloudformation-template-update-stack.json"))
            .unwrap(),
    )
    .unwrap();
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("HelloLambdaVersion"))
        .map(|(_, v)| v["Properties"]["CodeSha256"].as_str().unwrap().to_string())
        .unwrap()
}

fn deployment_dirs(moto: &Moto) -> Value {
    moto.py("s3 = client('s3')\nb = [x['Name'] for x in s3.list_buckets()['Buckets'] if 'serverlessdeploymentbucket' in x['Name']][0]\nr = s3.list_objects_v2(Bucket=b, Prefix='serverless/shop/dev/', Delimiter='/')\nprint(json.dumps(sorted(p['Prefix'] for p in r.get('CommonPrefixes', []))))")
}

#[test]
fn deploy_redeploy_change_info_remove() {
    let moto = Moto::start();
    let t = Test::service(SERVICE);
    let dir = t.path().to_path_buf();

    // First deploy: the stack is created, then updated with the service.
    let out = sls(&dir, &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("creating stack shop-dev") && stderr.contains("UPDATE_COMPLETE"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("testing"),
        "credentials never appear in output"
    );
    let f = moto.py("l = client('lambda')\nc = l.get_function(FunctionName='shop-dev-hello')['Configuration']\nprint(json.dumps([c['Runtime'], c['Handler'], c['CodeSha256'], c['MemorySize']]))");
    let sha = code_sha_in_template(&dir);
    assert_eq!(
        f,
        serde_json::json!(["nodejs22.x", "handler.hello", sha, 1024])
    );
    let w = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='shop-dev-worker')['Configuration']['MemorySize']))");
    assert_eq!(w, serde_json::json!(256));
    let paths = moto.py("a = client('apigateway')\napi = a.get_rest_apis()['items'][0]\nprint(json.dumps(sorted(r['path'] for r in a.get_resources(restApiId=api['id'])['items'])))");
    assert_eq!(paths, serde_json::json!(["/", "/users", "/users/create"]));
    let objects = moto.py("s3 = client('s3')\nb = [x['Name'] for x in s3.list_buckets()['Buckets'] if 'serverlessdeploymentbucket' in x['Name']][0]\nprint(json.dumps(sorted(o['Key'].rsplit('/', 1)[1] for o in s3.list_objects_v2(Bucket=b)['Contents'])))");
    assert_eq!(
        objects,
        serde_json::json!([
            "compiled-cloudformation-template.json",
            "serverless-state.json",
            "shop.zip"
        ])
    );
    assert_eq!(deployment_dirs(&moto).as_array().unwrap().len(), 1);

    // Unchanged: nothing is uploaded or updated.
    let out = sls(&dir, &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("No changes to deploy"), "{stderr}");
    assert_eq!(
        deployment_dirs(&moto).as_array().unwrap().len(),
        1,
        "no new deployment directory"
    );

    // --force deploys anyway; the unchanged zip is copied inside S3, not sent again.
    let out = sls(&dir, &moto, &["deploy", "--force"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("copied in S3"), "{stderr}");
    // Only the newest five deployments stay in the bucket.
    for _ in 0..4 {
        assert!(sls(&dir, &moto, &["deploy", "--force"]).status.success());
    }
    assert_eq!(
        deployment_dirs(&moto).as_array().unwrap().len(),
        5,
        "pruned to five"
    );
    // deploy list: the five, oldest first, with their files.
    let out = sls(&dir, &moto, &["deploy", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(
        list[0]["files"],
        serde_json::json!([
            "compiled-cloudformation-template.json",
            "serverless-state.json",
            "shop.zip"
        ])
    );
    let stamps: Vec<u64> = list
        .iter()
        .map(|d| d["timestamp"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    assert!(list[4]["datetime"].as_str().unwrap().ends_with('Z'));
    let out = sls(&dir, &moto, &["deploy", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Deployments of shop on stage dev"),
        "{text}"
    );
    assert_eq!(text.matches("Timestamp: ").count(), 5, "{text}");
    assert!(text.contains("- shop.zip"), "{text}");

    // A code change gives the function a new CodeSha256.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => ({ statusCode: 201 });\n",
    )
    .unwrap();
    let out = sls(&dir, &moto, &["deploy"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_sha = code_sha_in_template(&dir);
    assert_ne!(new_sha, sha);
    let live = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='shop-dev-hello')['Configuration']['CodeSha256']))");
    assert_eq!(live, Value::String(new_sha));

    // info, for people and for machines.
    let out = sls(&dir, &moto, &["info"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("stack: shop-dev") && stdout.contains("hello: shop-dev-hello"),
        "{stdout}"
    );
    let api = moto.py("print(json.dumps(client('apigateway').get_rest_apis()['items'][0]['id']))");
    let endpoint = format!(
        "GET - https://{}.execute-api.us-east-1.amazonaws.com/dev/users/create",
        api.as_str().unwrap()
    );
    assert!(stdout.contains(&endpoint), "endpoints per route: {stdout}");
    let out = sls(&dir, &moto, &["info", "--json"]);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["functions"][1]["name"], "shop-dev-worker");

    // remove, then remove again. The repository built images go to goes too (v3's name for
    // it), and no other.
    moto.py("e = client('ecr')\nfor n in ['serverless-shop-dev', 'other']: e.create_repository(repositoryName=n)\nprint(1)");
    let out = sls(&dir, &moto, &["remove"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("emptied deployment bucket"), "{stderr}");
    assert!(
        stderr.contains("removed ECR repository serverless-shop-dev"),
        "{stderr}"
    );
    let repos = moto.py("print(json.dumps([r['repositoryName'] for r in client('ecr').describe_repositories()['repositories']]))");
    assert_eq!(repos, serde_json::json!(["other"]));
    let stacks = moto.py("print(json.dumps([s['StackName'] for s in client('cloudformation').list_stacks()['StackSummaries'] if s['StackStatus'] != 'DELETE_COMPLETE']))");
    assert_eq!(stacks, serde_json::json!([]));
    let out = sls(&dir, &moto, &["remove"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sls(&dir, &moto, &["info"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stack shop-dev does not exist"));
}

#[test]
fn direct_updates_and_api_keys_keep_no_change_detection() {
    // v3 redeploys every time for services with API keys; sls-rs does not.
    let moto = Moto::start();
    let t = Test::service("service: keys\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  deploymentMethod: direct\n  apiGateway:\n    apiKeys: [partner]\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - http: {path: items, method: get, private: true}\n");
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["deploy"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sls(&dir, &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("No changes to deploy"), "{stderr}");
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 2;\n",
    )
    .unwrap();
    let out = sls(&dir, &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("UPDATE_COMPLETE"),
        "a direct update: {stderr}"
    );
    // moto skips API keys and usage plans, but they are in what was deployed.
    let body = moto.py("print(json.dumps(client('cloudformation').get_template(StackName='keys-dev')['TemplateBody']))");
    assert!(
        body.to_string().contains("ApiGatewayApiKey1")
            && body.to_string().contains("ApiGatewayUsagePlan")
    );
}

#[test]
fn a_deployment_bucket_the_stack_does_not_own() {
    let moto = Moto::start();
    moto.py("s3 = client('s3')\ns3.create_bucket(Bucket='team-artifacts')\ns3.put_object(Bucket='team-artifacts', Key='other/keep.txt', Body=b'x')\nprint(json.dumps(1))");
    let t = Test::service("service: ext\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  deploymentBucket:\n    name: team-artifacts\n  deploymentPrefix: builds\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("creating stack ext-dev") && stderr.contains("CREATE_COMPLETE"),
        "the whole stack is created at once: {stderr}"
    );
    let keys = moto.py("print(json.dumps(sorted(o['Key'].split('/')[0] for o in client('s3').list_objects_v2(Bucket='team-artifacts')['Contents'])))");
    assert_eq!(
        keys,
        serde_json::json!(["builds", "builds", "builds", "other"])
    );
    let out = sls(&dir, &moto, &["deploy"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("No changes to deploy"));
    let out = sls(&dir, &moto, &["remove"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = moto.py("print(json.dumps(sorted(o['Key'] for o in client('s3').list_objects_v2(Bucket='team-artifacts').get('Contents', []))))");
    assert_eq!(
        keys,
        serde_json::json!(["other/keep.txt"]),
        "only this service's deployments are removed"
    );
}

#[test]
fn blocked_runtimes_are_refused_before_anything_is_uploaded() {
    let moto = Moto::start();
    let t = Test::service("service: old\nprovider:\n  name: aws\n  runtime: nodejs18.x\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let out = sls(t.path(), &moto, &["deploy"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("uses runtime `nodejs18.x`, which AWS stopped accepting")
            && stderr.contains("nodejs24.x"),
        "{stderr}"
    );
    let buckets = moto.py("print(json.dumps(len(client('s3').list_buckets()['Buckets'])))");
    assert_eq!(buckets, serde_json::json!(0), "nothing was created");
}

#[test]
fn deploy_a_prepared_package_and_resolve_aws_variables() {
    let moto = Moto::start();
    moto.py("client('ssm').put_parameter(Name='/shop/secret', Value='s3cr3t', Type='SecureString')\nclient('ssm').put_parameter(Name='/shop/list', Value='a,b', Type='StringList')\nboto3.client('ssm', endpoint_url=client('ssm').meta.endpoint_url, region_name='eu-west-1').put_parameter(Name='/shop/eu', Value='from-eu', Type='String')\ns3 = client('s3')\ns3.create_bucket(Bucket='cfg-bucket')\ns3.put_object(Bucket='cfg-bucket', Key='v.txt', Body=b'from-s3')\nclient('cloudformation').create_stack(StackName='other', TemplateBody=json.dumps({'Resources': {'T': {'Type': 'AWS::SNS::Topic'}}, 'Outputs': {'Out': {'Value': 'from-cf'}}}))\nprint(json.dumps(1))");
    let t = Test::service("service: pkg\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    SECRET: ${ssm:/shop/secret}\n    ACCOUNT: ${aws:accountId}\n    MISSING: ${ssm:/nope, 'fallback'}\n    FROM_S3: ${s3:cfg-bucket/v.txt}\n    FROM_CF: ${cf:other.Out}\n    FROM_EU: ${ssm(eu-west-1):/shop/eu}\n    RAW_LIST: ${ssm(raw):/shop/list}\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["package", "--package", "build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tpl = std::fs::read_to_string(dir.join("build/cloudformation-template-update-stack.json"))
        .unwrap();
    assert!(
        tpl.contains("s3cr3t")
            && tpl.contains("123456789012")
            && tpl.contains("fallback")
            && tpl.contains("from-s3")
            && tpl.contains("from-cf"),
        "variables resolved through AWS"
    );
    let t: serde_json::Value = serde_json::from_str(&tpl).unwrap();
    let vars = &t["Resources"]["HelloLambdaFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        vars["FROM_EU"], "from-eu",
        "`ssm(region):` reads that region"
    );
    assert_eq!(
        vars["RAW_LIST"], "a,b",
        "`ssm(raw):` keeps a list as AWS stores it"
    );
    let out = sls(&dir, &moto, &["deploy", "--package", "build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='pkg-dev-hello')['Configuration']['Environment']['Variables']['SECRET']))");
    assert_eq!(env, serde_json::json!("s3cr3t"));
}

/// Package once, deploy to every stage: the zips built for dev deploy to prod as they are,
/// with prod's template and variables; a setting that decides the code differently for prod is
/// refused with the key.
#[test]
fn one_package_deploys_to_every_stage() {
    let moto = Moto::start();
    let t = Test::service("service: once\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    STAGE_NAME: ${sls:stage}\ncustom:\n  handlers:\n    dev: handler.hello\n    prod: handler.hello\n    qa: handler.other\nfunctions:\n  hello:\n    handler: ${self:custom.handlers.${sls:stage}}\n");
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["package", "--package", "build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zip_sha = |p: &std::path::Path| {
        use sha2::Digest;
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            sha2::Sha256::digest(std::fs::read(p).unwrap()),
        )
    };
    let packaged = zip_sha(&dir.join("build/once.zip"));
    // The code changes after packaging: the package, not the directory, is deployed.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 'changed';\n",
    )
    .unwrap();
    let out = sls(
        &dir,
        &moto,
        &["deploy", "--package", "build", "--stage", "prod"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = moto.py("c = client('lambda').get_function(FunctionName='once-prod-hello')['Configuration']\nprint(json.dumps([c['CodeSha256'], c['Environment']['Variables']['STAGE_NAME']]))");
    assert_eq!(f, serde_json::json!([packaged, "prod"]));
    assert_eq!(
        zip_sha(&dir.join("build/once.zip")),
        packaged,
        "the zip was not rebuilt"
    );
    let stacks = moto.py("print(json.dumps(sorted(s['StackName'] for s in client('cloudformation').describe_stacks()['Stacks'])))");
    assert_eq!(stacks, serde_json::json!(["once-prod"]));

    // qa runs another handler: its code would differ, so the package is refused for it.
    let out = sls(
        &dir,
        &moto,
        &["deploy", "--package", "build", "--stage", "qa"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was packaged for stage dev, and what decides its code differs for stage qa"),
        "{err}"
    );
    assert!(
        err.contains(
            "functions.hello.handler: \"handler.hello\" for dev, \"handler.other\" for qa"
        ),
        "{err}"
    );
    assert!(err.contains("sls-rs package --stage qa"), "{err}");
}

/// `provider.deploymentBucket`'s encryption goes with every upload (moto records it on each
/// object), and `maxPreviousDeploymentArtifacts` is how many deployments the bucket keeps.
#[test]
fn deployment_bucket_encryption_and_retention() {
    let moto = Moto::start();
    let t = Test::service("service: enc\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  deploymentBucket:\n    serverSideEncryption: aws:kms\n    sseKMSKeyId: arn:aws:kms:us-east-1:123456789012:key/abcd\n    maxPreviousDeploymentArtifacts: 2\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let dir = t.path().to_path_buf();
    for n in 0..4 {
        std::fs::write(
            dir.join("handler.js"),
            format!("module.exports.hello = async () => {n};\n"),
        )
        .unwrap();
        let out = sls(&dir, &moto, &["deploy"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let found = moto.py(
        "s3 = client('s3')
b = [x['Name'] for x in s3.list_buckets()['Buckets'] if x['Name'].startswith('enc-dev-')][0]
keys = [o['Key'] for o in s3.list_objects_v2(Bucket=b)['Contents']]
heads = [s3.head_object(Bucket=b, Key=k) for k in keys]
print(json.dumps({'dirs': sorted({k.rsplit('/', 1)[0] for k in keys}), 'sse': sorted({h.get('ServerSideEncryption', '') for h in heads}), 'kms': sorted({h.get('SSEKMSKeyId', '') for h in heads}), 'n': len(keys)}))",
    );
    assert_eq!(found["dirs"].as_array().unwrap().len(), 2, "{found}");
    assert_eq!(found["sse"], serde_json::json!(["aws:kms"]), "{found}");
    assert_eq!(
        found["kms"],
        serde_json::json!(["arn:aws:kms:us-east-1:123456789012:key/abcd"]),
        "{found}"
    );
}

/// `package.path`: `package` writes there, and `deploy` deploys what is there without packaging
/// again, as v3 does (and as `--package DIR` does).
#[test]
fn package_path_is_where_the_package_goes_and_comes_from() {
    let moto = Moto::start();
    let t = Test::service("service: pp\nprovider:\n  name: aws\n  runtime: nodejs22.x\npackage:\n  path: out\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["package"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir
        .join("out/cloudformation-template-update-stack.json")
        .is_file());
    assert!(dir.join("out/pp.zip").is_file());
    assert!(!dir.join(".serverless").exists());
    let packaged = std::fs::read(dir.join("out/pp.zip")).unwrap();
    // A change after packaging is not deployed: the package is.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 2;\n",
    )
    .unwrap();
    let out = sls(&dir, &moto, &["deploy"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join(".serverless").exists(), "deploy packaged again");
    assert_eq!(std::fs::read(dir.join("out/pp.zip")).unwrap(), packaged);
    let sha = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='pp-dev-hello')['Configuration']['CodeSha256']))");
    let expected = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&packaged))
    };
    assert_eq!(sha, serde_json::json!(expected));
}

#[test]
fn deploy_function_updates_one_functions_code() {
    let moto = Moto::start();
    let t = Test::service(SERVICE);
    let dir = t.path().to_path_buf();
    let out = sls(&dir, &moto, &["deploy", "function", "-f", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("function shop-dev-hello is not deployed in us-east-1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sls(&dir, &moto, &["deploy"]).status.success());
    let live = |f: &str| {
        moto.py(&format!("print(json.dumps(client('lambda').get_function(FunctionName='{f}')['Configuration']['CodeSha256']))"))
    };
    let (hello, worker) = (live("shop-dev-hello"), live("shop-dev-worker"));

    // The deployed code: nothing is sent.
    let out = sls(&dir, &moto, &["deploy", "function", "-f", "hello"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("code unchanged, configuration unchanged"),
        "{err}"
    );

    // Changed code reaches the function, and only that function.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => ({ statusCode: 202 });\n",
    )
    .unwrap();
    let out = sls(&dir, &moto, &["deploy", "function", "-f", "hello"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("function hello (shop-dev-hello): code updated"),
        "{err}"
    );
    assert_ne!(live("shop-dev-hello"), hello);
    assert_eq!(live("shop-dev-worker"), worker);
    // Its code is the zip `package` makes.
    assert!(sls(&dir, &moto, &["package"]).status.success());
    assert_eq!(
        live("shop-dev-hello"),
        Value::String(code_sha_in_template(&dir))
    );
    let out = sls(
        &dir,
        &moto,
        &["deploy", "function", "-f", "hello", "--force"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("hello (shop-dev-hello): code updated"));

    // Plain settings follow the code, as in v3: what changed since the stack was deployed and
    // Lambda does not have yet.
    let config = |f: &str| {
        moto.py(&format!(
            "print(json.dumps(client('lambda').get_function_configuration(FunctionName='{f}')))"
        ))
    };
    let yml = std::fs::read_to_string(dir.join("serverless.yml")).unwrap();
    let changed = yml.replace(
        "    handler: handler.hello\n    events:\n      - http",
        "    handler: handler.hello\n    memorySize: 512\n    timeout: 9\n    environment:\n      GREETING: hi\n    events:\n      - http",
    );
    assert_ne!(changed, yml);
    std::fs::write(dir.join("serverless.yml"), &changed).unwrap();
    let code_before = live("shop-dev-hello");
    let out = sls(
        &dir,
        &moto,
        &["deploy", "function", "-f", "hello", "--update-config"],
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("configuration updated (Environment, MemorySize, Timeout)"),
        "{err}"
    );
    let c = config("shop-dev-hello");
    assert_eq!(c["MemorySize"], 512);
    assert_eq!(c["Timeout"], 9);
    assert_eq!(c["Environment"]["Variables"]["GREETING"], "hi");
    assert_eq!(
        live("shop-dev-hello"),
        code_before,
        "-u leaves the code alone"
    );
    assert_eq!(config("shop-dev-worker")["MemorySize"], 256);
    // Lambda has it now: nothing is sent again.
    let out = sls(&dir, &moto, &["deploy", "function", "-f", "hello"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("code unchanged, configuration unchanged"),
        "{err}"
    );

    // What only CloudFormation resolves, or only a stack update applies, is refused before
    // anything is sent.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 1;\n",
    )
    .unwrap();
    for (setting, why) in [
        (
            "    environment:\n      GREETING: hi\n      BUCKET: !Ref ServerlessDeploymentBucket\n",
            "Environment changes to a value CloudFormation resolves",
        ),
        (
            "    environment:\n      GREETING: hi\n    reservedConcurrency: 5\n",
            "ReservedConcurrentExecutions changed",
        ),
    ] {
        std::fs::write(
            dir.join("serverless.yml"),
            changed.replace("    environment:\n      GREETING: hi\n", setting),
        )
        .unwrap();
        let out = sls(&dir, &moto, &["deploy", "function", "-f", "hello"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("changed in a way only a stack update applies") && err.contains(why),
            "{err}"
        );
        assert!(err.contains("sls-rs deploy"), "{err}");
        assert_eq!(live("shop-dev-hello"), code_before, "nothing was sent");
    }
}

#[test]
fn rollback_deploys_an_earlier_deployment_as_the_newest() {
    let moto = Moto::start();
    let t = Test::service(SERVICE);
    let dir = t.path().to_path_buf();
    let live = || {
        moto.py("print(json.dumps(client('lambda').get_function(FunctionName='shop-dev-hello')['Configuration']['CodeSha256']))")
    };
    assert!(sls(&dir, &moto, &["deploy"]).status.success());
    let first = live();
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => ({ statusCode: 203 });\n",
    )
    .unwrap();
    assert!(sls(&dir, &moto, &["deploy"]).status.success());
    assert_ne!(live(), first);
    let list: Value =
        serde_json::from_slice(&sls(&dir, &moto, &["deploy", "list", "--json"]).stdout).unwrap();
    let ts = list[0]["timestamp"].as_str().unwrap().to_string();

    let out = sls(&dir, &moto, &["rollback", "--timestamp", &ts]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("rolled back shop-dev to the deployment of {ts}")),
        "{err}"
    );
    assert_eq!(live(), first, "the first deployment's code runs again");
    // It is now the newest deployment, so deploying the newer code again is a change.
    assert_eq!(deployment_dirs(&moto).as_array().unwrap().len(), 3);
    let out = sls(&dir, &moto, &["deploy"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("No changes to deploy"), "{err}");
    assert_ne!(live(), first);

    // Each function's published versions (moto publishes one through the stack; one more here).
    moto.py("client('lambda').publish_version(FunctionName='shop-dev-hello')\nprint('null')");
    let out = sls(&dir, &moto, &["deploy", "list", "functions", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let versions: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hello = versions["shop-dev-hello"].as_array().unwrap();
    assert!(hello.len() >= 2, "{versions}");
    assert!(
        hello
            .iter()
            .all(|v| v.as_str().unwrap().parse::<u32>().is_ok()),
        "{versions}"
    );
    assert!(
        !versions["shop-dev-worker"].as_array().unwrap().is_empty(),
        "{versions}"
    );
    let out = sls(&dir, &moto, &["deploy", "list", "functions"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("shop-dev-hello: 1, "));

    // One function's code back to a published version: the version holding the first code.
    let version = moto.py(&format!(
        "vs = client('lambda').list_versions_by_function(FunctionName='shop-dev-hello')['Versions']\nprint(json.dumps([v['Version'] for v in vs if v['CodeSha256'] == {first}][0]))"
    ));
    let version = version.as_str().unwrap();
    let out = sls(
        &dir,
        &moto,
        &[
            "rollback",
            "function",
            "-f",
            "hello",
            "--function-version",
            version,
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("rolled back function hello to version {version}")),
        "{err}"
    );
    assert_eq!(live(), first);
    let out = sls(
        &dir,
        &moto,
        &[
            "rollback",
            "function",
            "-f",
            "hello",
            "--function-version",
            version,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already runs the code of version"));
    let out = sls(
        &dir,
        &moto,
        &[
            "rollback",
            "function",
            "-f",
            "hello",
            "--function-version",
            "99",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no version \"99\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // By position in `deploy list`: -1 is the newest deployment, whose code runs already.
    let list: Value =
        serde_json::from_slice(&sls(&dir, &moto, &["deploy", "list", "--json"]).stdout).unwrap();
    let newest = list.as_array().unwrap().last().unwrap()["timestamp"]
        .as_str()
        .unwrap()
        .to_string();
    let out = sls(&dir, &moto, &["rollback", "--timestamp", "-1"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("to the deployment of {newest}")),
        "{err}"
    );

    let out = sls(&dir, &moto, &["rollback", "--timestamp", "123"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no deployment with timestamp 123") && err.contains(&ts),
        "{err}"
    );
}

#[test]
fn diff_shows_what_a_deploy_would_change() {
    let moto = Moto::start();
    let with_queue = |name: &str| {
        format!("{SERVICE}resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n      Properties:\n        QueueName: {name}\n")
    };
    let t = Test::service(&with_queue("shop-q1"));
    let dir = t.path().to_path_buf();
    let diff = |args: &[&str]| {
        let mut all = vec!["diff"];
        all.extend_from_slice(args);
        let out = sls(&dir, &moto, &all);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // Before the first deploy: everything is new.
    let (code, out, err) = diff(&["--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["deployed"], false);
    assert!(v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["action"] == "add"));
    assert!(sls(&dir, &moto, &["deploy"]).status.success());
    // Deployed as it is: no changes, even though the REST API would get a new deployment ID.
    let (code, out, err) = diff(&["--fail"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "no changes to shop-dev\n");

    std::fs::write(
        dir.join("serverless.yml"),
        with_queue("shop-q2").replace("    memorySize: 256\n", "    memorySize: 512\n")
            + "    T:\n      Type: AWS::SNS::Topic\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 2;\n",
    )
    .unwrap();
    let (code, out, err) = diff(&[]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "changes to shop-dev:",
        "! Q (AWS::SQS::Queue): replaced (QueueName changes)",
        "    QueueName: \"shop-q1\" → \"shop-q2\"",
        "~ WorkerLambdaFunction (AWS::Lambda::Function)",
        "    MemorySize: 256 → 512",
        "+ T (AWS::SNS::Topic)",
        ": new version",
        ": redeploys the API",
        // One zip serves both functions.
        "code changes: hello, worker",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    assert!(
        !out.contains("S3Key"),
        "artifact keys are not changes:\n{out}"
    );
    // `deploy --dry-run` is the same report, and deploys nothing.
    let dry = sls(&dir, &moto, &["deploy", "--dry-run"]);
    assert!(dry.status.success());
    // (The API's new deployment is named after the time.)
    let timeless = |t: &str| {
        t.lines()
            .map(|l| {
                if l.starts_with("~ ApiGatewayDeployment") {
                    "~ ApiGatewayDeployment…"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        timeless(&String::from_utf8_lossy(&dry.stdout)),
        timeless(&out)
    );
    let (code, out, _) = diff(&["--json", "--fail"]);
    assert_eq!(
        code, 2,
        "--fail exits 2 when a deploy would change something"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["codeChanges"], serde_json::json!(["hello", "worker"]));
    let q = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["logicalId"] == "Q")
        .unwrap();
    assert_eq!(q["replacement"], true);
    assert_eq!(q["replacedBy"], serde_json::json!(["QueueName"]));
    assert_eq!(
        q["changes"][0],
        serde_json::json!({ "path": "Properties.QueueName", "old": "shop-q1", "new": "shop-q2" })
    );
    // Nothing was deployed.
    let (_, again, _) = diff(&[]);
    assert!(again.contains("! Q (AWS::SQS::Queue)"), "{again}");

    // A deploy that loses data stops for approval: here, in CI, it refuses.
    let out = sls(&dir, &moto, &["deploy"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    for needle in [
        "this deploy of shop-dev needs approval",
        "Q (AWS::SQS::Queue) is replaced (QueueName changes): the new one starts empty",
        "nothing was deployed",
        "--approve",
    ] {
        assert!(err.contains(needle), "{needle:?} in:\n{err}");
    }
    let (_, again, _) = diff(&[]);
    assert!(
        again.contains("! Q (AWS::SQS::Queue)"),
        "still not deployed: {again}"
    );
    // On a terminal it asks; "n" changes nothing.
    let (code, shown) = common::on_terminal(&dir, &moto.env(), &["deploy"], "n");
    assert_eq!(code, 1, "{shown}");
    for needle in [
        "this deploy of shop-dev needs approval",
        "Q (AWS::SQS::Queue) is replaced (QueueName changes)",
        "deploy anyway? [y/N]",
        "deploy cancelled: nothing was changed",
    ] {
        assert!(
            shown.contains(needle),
            "{needle:?} on the terminal:\n{shown}"
        );
    }
    let (_, again, _) = diff(&[]);
    assert!(again.contains("! Q (AWS::SQS::Queue)"), "{again}");
    let out = sls(&dir, &moto, &["deploy", "--approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Broader permissions too, unless the service says never to ask.
    let yml = std::fs::read_to_string(dir.join("serverless.yml")).unwrap();
    let broader = yml.replace(
        "  region: us-east-1\n",
        "  region: us-east-1\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: ['s3:DeleteObject']\n          Resource: '*'\n",
    );
    std::fs::write(dir.join("serverless.yml"), &broader).unwrap();
    let out = sls(&dir, &moto, &["deploy"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("IamRoleLambdaExecution allows [\"s3:DeleteObject\"] on \"*\""),
        "{err}"
    );
    // Answered "y" on a terminal, it deploys.
    let (code, shown) = common::on_terminal(&dir, &moto.env(), &["deploy"], "y");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("deploy anyway? [y/N]"), "{shown}");
    let (_, after, _) = diff(&["--method", "template"]);
    assert_eq!(after, "no changes to shop-dev\n");
    // With `deploymentApproval: never`, a broader change deploys without asking.
    let broader = broader.replace(
        "Action: ['s3:DeleteObject']",
        "Action: ['s3:DeleteObject', 's3:PutObject']",
    );
    std::fs::write(
        dir.join("serverless.yml"),
        broader.replace(
            "  region: us-east-1\n",
            "  region: us-east-1\n  deploymentApproval: never\n",
        ),
    )
    .unwrap();
    let out = sls(&dir, &moto, &["deploy"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        diff(&["--method", "template"]).1,
        "no changes to shop-dev\n"
    );
}
