//! Container images (`image`, `provider.ecr`): URIs pinned to digests from ECR (moto), images
//! named from `provider.ecr.images`, what is checked before anything is built or created, and
//! the repository `remove` deletes.

use std::path::Path;

use serde_json::{json, Value};

use crate::common::{self, Moto, Test};

const REPO_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// Pushes an image manifest to moto's ECR under `tag`; returns its digest.
fn put_image(moto: &Moto, repo: &str, tag: &str, layer: &str) -> String {
    moto.py(&format!(
        r#"e = client('ecr')
try:
    e.create_repository(repositoryName='{repo}')
except e.exceptions.RepositoryAlreadyExistsException:
    pass
m = json.dumps({{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:{layer}"}},
  "layers": [{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654, "digest": "sha256:{layer}"}}]}})
r = e.put_image(repositoryName='{repo}', imageManifest=m, imageTag='{tag}')
print(json.dumps(r['image']['imageId']['imageDigest']))"#
    ))
    .as_str()
    .unwrap()
    .to_string()
}

fn package(dir: &Path, env: &[(String, String)]) -> std::process::Output {
    let mut env = env.to_vec();
    env.push(("SOURCE_DATE_EPOCH".into(), "1795700982".into()));
    common::sls(dir, &["package".into(), "--quiet".into()], &env)
}

fn packaged(dir: &Path) -> Value {
    let text =
        std::fs::read_to_string(dir.join(".serverless/cloudformation-template-update-stack.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The function's image URI and its version's (logical ID, CodeSha256).
fn image_and_version(t: &Value, stem: &str) -> (Value, String, Value) {
    let uri =
        t["Resources"][format!("{stem}LambdaFunction")]["Properties"]["Code"]["ImageUri"].clone();
    let (id, v) = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with(&format!("{stem}LambdaVersion")))
        .expect("a version");
    (uri, id.clone(), v["Properties"]["CodeSha256"].clone())
}

#[test]
fn tags_are_pinned_to_the_digest_ecr_has_now() {
    let moto = Moto::start();
    let first = put_image(&moto, "app", "v1", &"a".repeat(64));
    let yaml = format!(
        "service: images\nprovider:\n  name: aws\n  region: us-east-1\n  ecr:\n    images:\n      shared:\n        uri: {REPO_HOST}/app:v1\nfunctions:\n  tagged:\n    image: {REPO_HOST}/app:v1\n  named:\n    image:\n      name: shared\n      command: [app.handler]\n"
    );
    let (_, dir) = Test::service(&yaml).args(&["print"]).run();
    let out = package(dir.path(), &moto.env());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = packaged(dir.path());
    let hex = first.strip_prefix("sha256:").unwrap();
    for stem in ["Tagged", "Named"] {
        let (uri, _, sha) = image_and_version(&t, stem);
        assert_eq!(uri, json!(format!("{REPO_HOST}/app@{first}")), "{stem}");
        assert_eq!(sha, json!(hex), "{stem}");
    }
    let (_, version_before, _) = image_and_version(&t, "Tagged");

    // The tag moves to a new image: the next package pins that one and publishes a version.
    let second = put_image(&moto, "app", "v1", &"b".repeat(64));
    assert_ne!(first, second);
    let out = package(dir.path(), &moto.env());
    assert!(out.status.success());
    let t = packaged(dir.path());
    let (uri, version_after, sha) = image_and_version(&t, "Tagged");
    assert_eq!(uri, json!(format!("{REPO_HOST}/app@{second}")));
    assert_eq!(sha, json!(second.strip_prefix("sha256:").unwrap()));
    assert_ne!(version_before, version_after);
    common::cfn_lint(&[("images-pinned".into(), t)], &[], &[]);
}

#[test]
fn a_missing_tag_or_another_region_is_an_error() {
    let moto = Moto::start();
    put_image(&moto, "app", "v1", &"a".repeat(64));
    let yaml = format!(
        "service: images\nprovider:\n  name: aws\n  region: us-east-1\nfunctions:\n  f:\n    image: {REPO_HOST}/app:v2\n"
    );
    let (_, dir) = Test::service(&yaml).args(&["print"]).run();
    let out = package(dir.path(), &moto.env());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not find image"), "{err}");
    assert!(err.contains("push the image with tag `v2` first"), "{err}");
    assert!(!dir.path().join(".serverless").exists());

    let yaml = "service: images\nprovider:\n  name: aws\n  region: us-east-1\nfunctions:\n  f:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1\n";
    let (_, dir) = Test::service(yaml).args(&["print"]).run();
    let out = package(dir.path(), &moto.env());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is in eu-west-1, but the service deploys to us-east-1"),
        "{err}"
    );
}

const BUILT: &str = "service: images\nprovider:\n  name: aws\n  region: us-east-1\n  ecr:\n    scanOnPush: true\n    images:\n      app:\n        path: ./img\n        buildArgs:\n          STAGE: dev\nfunctions:\n  web:\n    image: app\n";

fn repositories(moto: &Moto) -> Value {
    moto.py("print(json.dumps([r['repositoryName'] for r in client('ecr').describe_repositories()['repositories']]))")
}

#[test]
fn building_needs_docker_and_its_daemon_and_creates_nothing_without_them() {
    let moto = Moto::start();
    let (_, dir) = Test::service(BUILT)
        .file("img/Dockerfile", "FROM scratch\nCOPY . /var/task\n")
        .args(&["print"])
        .run();
    // No `docker` on PATH.
    let empty = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push(("PATH".into(), empty.path().display().to_string()));
    let out = package(dir.path(), &env);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("needs `docker`, which is not on PATH"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(repositories(&moto), json!([]));

    // `docker` whose daemon is not there (the machine's own client, pointed nowhere).
    let has_docker = std::process::Command::new("docker")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_docker {
        let mut env = moto.env();
        env.push((
            "DOCKER_HOST".into(),
            "unix:///nonexistent/sls-rs-test/docker.sock".into(),
        ));
        let out = package(dir.path(), &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("`docker` cannot reach its daemon"), "{err}");
        assert!(err.contains("start Docker"), "{err}");
        assert_eq!(repositories(&moto), json!([]));
    } else {
        eprintln!("note: no docker client on this machine; its daemon check is not exercised");
    }
    assert!(!dir.path().join(".serverless").exists());
}

#[test]
fn a_missing_dockerfile_is_named_with_its_key_before_anything_runs() {
    // No AWS credentials or endpoint: the Dockerfile is checked before anything connects.
    Test::service(BUILT)
        .args(&["package"])
        .status(1)
        .stderr_has("image `app` has no Dockerfile at")
        .stderr_has("provider.ecr.images.app")
        .stderr_has("serverless.yml:8")
        .run();
}

#[test]
fn a_dry_run_compiles_a_named_image_as_its_tag_without_aws() {
    let yaml = format!(
        "{BUILT}  pinned:\n    image:\n      name: fixed\n      entryPoint: [/lambda-entrypoint.sh]\n"
    )
    .replace(
        "      app:\n",
        &format!("      fixed: {REPO_HOST}/base@sha256:{}\n      app:\n", "c".repeat(64)),
    );
    let (_, dir) = Test::service(&yaml).args(&["print"]).run();
    let t = common::dry_run(dir.path(), &[], &[]);
    let (uri, _, sha) = image_and_version(&t, "Web");
    assert_eq!(
        uri,
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/serverless-images-dev:app"})
    );
    assert_eq!(sha, Value::Null);
    let (uri, _, sha) = image_and_version(&t, "Pinned");
    assert_eq!(
        uri,
        json!(format!("{REPO_HOST}/base@sha256:{}", "c".repeat(64)))
    );
    assert_eq!(sha, json!("c".repeat(64)));
    assert_eq!(
        t["Resources"]["PinnedLambdaFunction"]["Properties"]["ImageConfig"],
        json!({"EntryPoint": ["/lambda-entrypoint.sh"]})
    );
    common::cfn_lint(&[("images-dry-run".into(), t)], &[], &[]);
}

#[test]
fn image_settings_v3_refuses_are_refused() {
    let head = "service: images\nprovider:\n  name: aws\n  region: us-east-1\n";
    for (yaml, message) in [
        (
            format!("{head}functions:\n  f:\n    image: nothere\n"),
            "image `nothere` is neither an ECR image URI nor one of `provider.ecr.images`",
        ),
        (
            format!("{head}  ecr:\n    images:\n      app:\n        uri: {REPO_HOST}/a:1\n        path: ./\nfunctions:\n  f:\n    image: app\n"),
            "image `app` has both `uri` and `path`",
        ),
        (
            format!("{head}  ecr:\n    images:\n      app:\n        uri: {REPO_HOST}/a:1\n        buildArgs:\n          A: b\nfunctions:\n  f:\n    image: app\n"),
            "image `app` has `buildArgs` and a `uri`",
        ),
        (
            format!("{head}  ecr:\n    images:\n      app:\n        file: Dockerfile\nfunctions:\n  f:\n    image: app\n"),
            "image `app` has neither `uri` nor `path`",
        ),
        (
            format!("{head}  ecr:\n    images:\n      app: ./\nfunctions:\n  f:\n    image:\n      name: app\n      uri: {REPO_HOST}/a:1\n"),
            "the image has both `uri` and `name`",
        ),
        (
            format!("{head}  ecr:\n    maxImageCount: 0\n    images:\n      app: ./\nfunctions:\n  f:\n    image: app\n"),
            "`provider.ecr.maxImageCount` is 0",
        ),
    ] {
        Test::service(&yaml)
            .args(&["package", "--dry-run"])
            .status(1)
            .stderr_has(message)
            .stderr_has("hint:")
            .run();
    }
}

/// The whole build path with Docker's part played by `tests/fixtures/docker-standin/docker`
/// (this machine has no Docker daemon): it records what sls-rs runs and pushes a manifest named
/// by the Dockerfile's hash into moto's ECR. The repository, its scanning and lifecycle policy,
/// the login token and the digest come from moto.
#[test]
fn images_are_built_pushed_to_the_services_repository_and_pinned() {
    let moto = Moto::start();
    let yaml = BUILT
        .replace(
            "    scanOnPush: true\n",
            "    scanOnPush: true\n    maxImageCount: 3\n",
        )
        .replace("    images:\n", "    images:\n      unused: ./nowhere\n");
    let (_, dir) = Test::service(&yaml)
        .file(
            "img/Dockerfile",
            "FROM public.ecr.aws/lambda/nodejs:22\nCOPY app.js ./\n",
        )
        .file("img/app.js", "exports.handler = async () => 1;\n")
        .args(&["print"])
        .run();
    let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docker-standin");
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    let log = dir.path().join("docker.log");
    let mut env = moto.env();
    env.push((
        "PATH".into(),
        format!(
            "{}:{}:{}",
            standin.display(),
            venv.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    ));
    env.push(("DOCKER_STANDIN_LOG".into(), log.display().to_string()));
    let out = package(dir.path(), &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repo = moto.py("r = client('ecr').describe_repositories(repositoryNames=['serverless-images-dev'])['repositories'][0]\nprint(json.dumps([r['repositoryUri'], r['imageScanningConfiguration']['scanOnPush']]))");
    let repo_uri = repo[0].as_str().unwrap().to_string();
    assert_eq!(repo[1], true);
    let policy = moto.py("p = client('ecr').get_lifecycle_policy(repositoryName='serverless-images-dev')\nprint(p['lifecyclePolicyText'])");
    assert_eq!(policy["rules"][0]["selection"]["countNumber"], 3);
    assert_eq!(
        policy["rules"][0]["selection"]["countType"],
        "imageCountMoreThan"
    );
    let digest = moto.py("d = client('ecr').describe_images(repositoryName='serverless-images-dev', imageIds=[{'imageTag': 'app'}])['imageDetails'][0]['imageDigest']\nprint(json.dumps(d))");
    let digest = digest.as_str().unwrap();
    let t = packaged(dir.path());
    let (uri, _, sha) = image_and_version(&t, "Web");
    assert_eq!(uri, json!(format!("{repo_uri}@{digest}")));
    assert_eq!(sha, json!(digest.strip_prefix("sha256:").unwrap()));

    // What Docker was asked: the daemon checked, a login with ECR's token on stdin, v3's build
    // command, tag, push; the image no function names was not built.
    let calls: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let words = |c: &Value| -> Vec<String> {
        c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let verbs: Vec<String> = calls.iter().map(|c| words(c)[0].clone()).collect();
    assert_eq!(verbs, ["version", "login", "build", "tag", "push"]);
    let token = moto.py("import base64\nt = client('ecr').get_authorization_token()['authorizationData'][0]\nprint(json.dumps([base64.b64decode(t['authorizationToken']).decode().split(':', 1)[1], t['proxyEndpoint']]))");
    assert_eq!(calls[1]["password"], token[0]);
    assert_eq!(
        words(&calls[1])[1..],
        [
            "--username",
            "AWS",
            "--password-stdin",
            token[1].as_str().unwrap()
        ]
    );
    let img = dir.path().join("img");
    assert_eq!(
        words(&calls[2]),
        [
            "build".to_string(),
            "-t".into(),
            "serverless-images-dev:app".into(),
            "-f".into(),
            img.join("Dockerfile").display().to_string(),
            "--build-arg".into(),
            "STAGE=dev".into(),
            img.display().to_string(),
        ]
    );
    assert_eq!(
        words(&calls[3]),
        [
            "tag",
            "serverless-images-dev:app",
            &format!("{repo_uri}:app")
        ]
    );
    assert_eq!(words(&calls[4]), ["push", &format!("{repo_uri}:app")]);
    common::cfn_lint(&[("images-built".into(), t)], &[], &[]);

    // A changed image is a new digest, and so a new version.
    let (_, before, _) = image_and_version(&packaged(dir.path()), "Web");
    std::fs::write(
        dir.path().join("img/Dockerfile"),
        "FROM public.ecr.aws/lambda/nodejs:22\nCOPY app.js ./\nENV X=1\n",
    )
    .unwrap();
    let out = package(dir.path(), &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (uri, after, _) = image_and_version(&packaged(dir.path()), "Web");
    assert_ne!(uri, json!(format!("{repo_uri}@{digest}")));
    assert_ne!(before, after);
}
