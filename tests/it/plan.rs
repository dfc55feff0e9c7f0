//! The planner: each event kind, functions and IAM, user resources, limits and conflicts, and
//! the `package --dry-run` contract. Every template produced here goes through cfn-lint.

use crate::common;

use crate::common::Test;
use serde_json::{json, Value};

const HEAD: &str = "service: svc\nprovider:\n  name: aws\n  runtime: nodejs22.x\n";

/// Compiles `yaml` (with handler.js) and returns the update-stack template.
fn template(yaml: &str) -> Value {
    let t = Test::service(yaml).file(
        "layer/nodejs/node_modules/dep/index.js",
        "module.exports = 1;\n",
    );
    common::dry_run(t.path(), &[], &[])
}

/// Compiles `yaml`, which must fail; returns stderr.
fn fails(yaml: &str) -> String {
    let (out, _d) = Test::service(yaml)
        .args(&["package", "--dry-run"])
        .status(1)
        .run();
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when compiling fails"
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn res<'a>(t: &'a Value, id: &str) -> &'a Value {
    t["Resources"].get(id).unwrap_or_else(|| {
        panic!(
            "no resource {id} in {:?}",
            t["Resources"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        )
    })
}

fn ids(t: &Value) -> Vec<String> {
    t["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn lint(ts: Vec<(&str, Value)>) {
    let named: Vec<(String, Value)> = ts.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
    common::cfn_lint(&named, &[], &[]);
}

#[test]
fn http_events_build_a_rest_api() {
    let t = template(&format!(
        "{HEAD}  apiGateway:\n    apiKeys: [key-one, {{name: key-two, value: abcdefghijklmnopqrstuvwxyz}}]\n    usagePlan: {{quota: {{limit: 100, period: DAY}}, throttle: {{burstLimit: 10, rateLimit: 5}}}}\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - http: GET users/{{id}}\n      - http:\n          path: users/{{id}}/orders\n          method: post\n          cors: true\n          private: true\n      - http:\n          path: /\n          method: any\n          cors:\n            origin: https://example.com\n            headers: [Content-Type]\n            allowCredentials: true\n      - http:\n          path: iam\n          method: get\n          authorizer: aws_iam\n      - http:\n          path: cognito\n          method: get\n          authorizer:\n            arn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\n            scopes: [email]\n      - http:\n          path: custom\n          method: get\n          authorizer:\n            name: auth\n            type: request\n            identitySource: method.request.header.X-Token\n  auth:\n    handler: handler.hello\n"
    ));
    assert_eq!(
        res(&t, "ApiGatewayResourceUsers")["Properties"]["PathPart"],
        "users"
    );
    assert_eq!(
        res(&t, "ApiGatewayResourceUsersIdVar")["Properties"]["ParentId"],
        json!({"Ref": "ApiGatewayResourceUsers"})
    );
    assert_eq!(
        res(&t, "ApiGatewayResourceUsersIdVarOrders")["Properties"]["PathPart"],
        "orders"
    );
    let get = res(&t, "ApiGatewayMethodUsersIdVarGet");
    assert_eq!(get["Properties"]["Integration"]["Type"], "AWS_PROXY");
    assert_eq!(
        res(&t, "ApiGatewayMethodUsersIdVarOrdersPost")["Properties"]["ApiKeyRequired"],
        json!(true)
    );
    let opts = res(&t, "ApiGatewayMethodUsersIdVarOrdersOptions");
    assert_eq!(
        opts["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
            ["method.response.header.Access-Control-Allow-Methods"],
        "'OPTIONS,POST'"
    );
    let root_opts = res(&t, "ApiGatewayMethodOptions");
    let rp =
        &root_opts["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"];
    assert_eq!(
        rp["method.response.header.Access-Control-Allow-Origin"],
        "'https://example.com'"
    );
    assert_eq!(
        rp["method.response.header.Access-Control-Allow-Credentials"],
        "'true'"
    );
    assert_eq!(
        res(&t, "ApiGatewayMethodAny")["Properties"]["ResourceId"],
        json!({"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]})
    );
    assert_eq!(
        res(&t, "ApiGatewayMethodIamGet")["Properties"]["AuthorizationType"],
        "AWS_IAM"
    );
    let cog = res(&t, "ApiGatewayMethodCognitoGet");
    assert_eq!(cog["Properties"]["AuthorizationType"], "COGNITO_USER_POOLS");
    assert_eq!(cog["Properties"]["AuthorizationScopes"], json!(["email"]));
    assert_eq!(
        res(&t, "1UnderscoreabcApiGatewayAuthorizer")["Properties"]["Type"],
        "COGNITO_USER_POOLS"
    );
    let auth = res(&t, "AuthApiGatewayAuthorizer");
    assert_eq!(auth["Properties"]["Type"], "REQUEST");
    assert_eq!(
        auth["Properties"]["IdentitySource"],
        "method.request.header.X-Token"
    );
    assert!(
        t["Resources"]
            .get("AuthLambdaPermissionApiGateway")
            .is_some(),
        "the authorizer function may be invoked"
    );
    assert_eq!(
        res(&t, "ApiGatewayUsagePlan")["Properties"]["Quota"]["Limit"],
        json!(100)
    );
    assert_eq!(
        res(&t, "ApiGatewayApiKey2")["Properties"]["Value"],
        "abcdefghijklmnopqrstuvwxyz"
    );
    assert!(ids(&t)
        .iter()
        .any(|i| i.starts_with("ApiGatewayDeployment")));
    assert!(t["Outputs"]["ServiceEndpoint"].is_object());

    let existing = template(&format!(
        "{HEAD}  apiGateway:\n    restApiId: abc123\n    restApiRootResourceId: root456\n    restApiResources:\n      /users: res789\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - http: GET users/{{id}}\n"
    ));
    assert!(
        existing["Resources"].get("ApiGatewayRestApi").is_none(),
        "an existing API is not created"
    );
    assert!(
        existing["Resources"]
            .get("ApiGatewayResourceUsers")
            .is_none(),
        "a known resource is not created"
    );
    assert_eq!(
        res(&existing, "ApiGatewayResourceUsersIdVar")["Properties"]["ParentId"],
        json!("res789")
    );
    lint(vec![("http", t), ("http-existing", existing)]);
}

#[test]
fn http_api_events() {
    let t = template(&format!(
        "{HEAD}  httpApi:\n    payload: '1.0'\n    cors:\n      allowedOrigins: [https://example.com]\n    authorizers:\n      jwt:\n        issuerUrl: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc\n        audience: [client]\n      custom:\n        type: request\n        functionName: auth\nfunctions:\n  api:\n    handler: handler.hello\n    events:\n      - httpApi: GET /items/{{id}}\n      - httpApi: '*'\n      - httpApi:\n          method: post\n          path: /items\n          authorizer:\n            name: jwt\n            scopes: [write]\n      - httpApi:\n          method: delete\n          path: /items/{{id}}\n          authorizer: {{name: custom}}\n      - httpApi:\n          method: put\n          path: /iam\n          authorizer: {{type: aws_iam}}\n  auth:\n    handler: handler.hello\n"
    ));
    assert_eq!(
        res(&t, "HttpApi")["Properties"]["CorsConfiguration"]["AllowOrigins"],
        json!(["https://example.com"])
    );
    assert_eq!(
        res(&t, "HttpApiIntegrationApi")["Properties"]["PayloadFormatVersion"],
        "1.0"
    );
    assert_eq!(
        res(&t, "HttpApiRouteGetItemsIdVar")["Properties"]["RouteKey"],
        "GET /items/{id}"
    );
    assert_eq!(
        res(&t, "HttpApiRouteDefault")["Properties"]["RouteKey"],
        "$default"
    );
    let post = res(&t, "HttpApiRoutePostItems");
    assert_eq!(post["Properties"]["AuthorizationType"], "JWT");
    assert_eq!(post["Properties"]["AuthorizationScopes"], json!(["write"]));
    assert!(
        post.get("DependsOn").is_none(),
        "no redundant DependsOn (W3005)"
    );
    assert_eq!(
        res(&t, "HttpApiAuthorizerJwt")["Properties"]["JwtConfiguration"]["Audience"],
        json!(["client"])
    );
    assert_eq!(
        res(&t, "HttpApiRouteDeleteItemsIdVar")["Properties"]["AuthorizationType"],
        "CUSTOM"
    );
    assert_eq!(
        res(&t, "HttpApiAuthorizerCustom")["Properties"]["AuthorizerType"],
        "REQUEST"
    );
    assert_eq!(
        res(&t, "HttpApiRoutePutIam")["Properties"]["AuthorizationType"],
        "AWS_IAM"
    );
    assert!(t["Outputs"]["HttpApiUrl"].is_object());
    lint(vec![("httpapi", t)]);
}

#[test]
fn s3_schedule_queue_topic_stream_bridge_and_websocket_events() {
    let t = template(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - s3: {{bucket: uploads-bucket, event: 's3:ObjectCreated:*', rules: [{{prefix: in/}}, {{suffix: .png}}]}}\n      - s3: {{bucket: uploads-bucket, event: 's3:ObjectRemoved:*'}}\n      - s3: {{bucket: legacy-bucket, existing: true}}\n      - schedule: rate(5 minutes)\n      - schedule:\n          rate: [cron(0 1 * * ? *), cron(0 2 * * ? *)]\n          enabled: false\n          inputTransformer:\n            inputPathsMap: {{t: '$.time'}}\n            inputTemplate: '{{\"time\": <t>}}'\n      - schedule: {{rate: rate(1 hour), inputPath: '$.detail', name: hourly, description: each hour}}\n      - sqs: {{arn: !GetAtt Q.Arn, batchSize: 20, maximumBatchingWindow: 5, enabled: false, functionResponseType: ReportBatchItemFailures}}\n      - sns: created-topic\n      - sns: {{arn: 'arn:aws:sns:us-east-1:123456789012:ext', filterPolicy: {{k: [v]}}}}\n      - stream: {{arn: !GetAtt T.StreamArn, batchSize: 50, startingPosition: LATEST, filterPatterns: [{{eventName: [INSERT]}}]}}\n      - stream: {{type: kinesis, arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks', enabled: false}}\n      - eventBridge: {{pattern: {{source: [my.app]}}}}\n      - eventBridge: {{eventBus: my-bus, schedule: rate(1 day)}}\n      - websocket: $connect\n      - websocket: {{route: sendMessage}}\nresources:\n  Resources:\n    Q: {{Type: AWS::SQS::Queue}}\n    T:\n      Type: AWS::DynamoDB::Table\n      Properties:\n        BillingMode: PAY_PER_REQUEST\n        AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]\n        KeySchema: [{{AttributeName: id, KeyType: HASH}}]\n        StreamSpecification: {{StreamViewType: NEW_IMAGE}}\n"
    ));
    let bucket = res(&t, "S3BucketUploadsbucket");
    assert_eq!(
        bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        bucket["DependsOn"],
        json!(["ALambdaPermissionUploadsbucketS3"])
    );
    assert_eq!(res(&t, "ACustomS31")["Type"], "Custom::S3");
    let handler = res(&t, "CustomDashresourceDashexistingDashs3LambdaFunction");
    assert!(handler["Properties"]["Code"]["ZipFile"]
        .as_str()
        .unwrap()
        .contains("put_bucket_notification_configuration"));
    assert_eq!(
        res(&t, "AEventsRuleSchedule1")["Properties"]["ScheduleExpression"],
        "rate(5 minutes)"
    );
    assert_eq!(
        res(&t, "AEventsRuleSchedule3")["Properties"]["State"],
        "DISABLED"
    );
    assert!(
        res(&t, "AEventsRuleSchedule3")["Properties"]["Targets"][0]["InputTransformer"]
            ["InputTemplate"]
            .is_string()
    );
    assert_eq!(
        res(&t, "AEventsRuleSchedule4")["Properties"]["Name"],
        "hourly"
    );
    assert_eq!(
        res(&t, "AEventsRuleSchedule4")["Properties"]["Targets"][0]["InputPath"],
        "$.detail"
    );
    let sqs = res(&t, "AEventSourceMappingSQSQ");
    assert_eq!(sqs["Properties"]["BatchSize"], json!(20));
    assert_eq!(sqs["Properties"]["Enabled"], json!(false));
    assert_eq!(
        res(&t, "SNSTopicCreatedtopic")["Properties"]["Subscription"][0]["Protocol"],
        "lambda"
    );
    assert_eq!(
        res(&t, "ASnsSubscriptionExt")["Properties"]["FilterPolicy"],
        json!({"k": ["v"]})
    );
    let ddb = res(&t, "AEventSourceMappingDynamodbT");
    assert_eq!(ddb["Properties"]["StartingPosition"], "LATEST");
    assert_eq!(
        ddb["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"],
        "{\"eventName\":[\"INSERT\"]}"
    );
    assert_eq!(
        res(&t, "AEventSourceMappingKinesisClicks")["Properties"]["Enabled"],
        json!(false)
    );
    assert!(res(&t, "Svcdevarule12EventBridgeRule")["Properties"]["EventPattern"].is_object());
    assert_eq!(
        res(&t, "Svcdevarule13EventBridgeRule")["Properties"]["EventBusName"],
        json!("my-bus")
    );
    assert_eq!(
        res(&t, "SconnectWebsocketsRoute")["Properties"]["RouteKey"],
        "$connect"
    );
    assert_eq!(
        res(&t, "sendMessageWebsocketsRoute")["Properties"]["RouteKey"],
        "sendMessage"
    );
    let role = res(&t, "IamRoleLambdaExecution");
    let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let actions: Vec<String> = statements
        .iter()
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
        })
        .collect();
    for a in [
        "sqs:ReceiveMessage",
        "dynamodb:GetRecords",
        "kinesis:GetRecords",
    ] {
        assert!(actions.contains(&a.to_string()), "role lacks {a}");
    }
    common::cfn_lint(&[("events".to_string(), t)], &["Q".into(), "T".into()], &[]);
}

#[test]
fn function_settings_iam_and_user_resources() {
    let t = template(&format!(
        "{HEAD}  memorySize: 512\n  logRetentionInDays: 30\n  architecture: arm64\n  tracing: {{lambda: true}}\n  tags: {{team: core}}\n  environment: {{SHARED: p, OVER: p}}\n  iam:\n    role:\n      name: custom-role-name\n      statements:\n        - Effect: Allow\n          Action: s3:GetObject\n          Resource: arn:aws:s3:::b/*\n      managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n      permissionsBoundary: arn:aws:iam::123456789012:policy/boundary\nlayers:\n  deps:\n    path: layer\nfunctions:\n  main:\n    handler: handler.hello\n    timeout: 30\n    ephemeralStorage: 1024\n    environment: {{OVER: f}}\n    layers: [!Ref DepsLambdaLayer]\n    url: true\n    provisionedConcurrency: 2\n    reservedConcurrency: 10\n    destinations: {{onFailure: 'arn:aws:sqs:us-east-1:123456789012:dlq'}}\n    vpc: {{securityGroupIds: [sg-0123456789abcdef0], subnetIds: [subnet-0123456789abcdef0]}}\n    tags: {{fn: yes}}\n  own:\n    handler: handler.hello\n    role: arn:aws:iam::123456789012:role/own\nresources:\n  Resources:\n    MainLambdaFunction:\n      Properties:\n        Description: overridden\n    Extra: {{Type: AWS::SNS::Topic, Condition: InUsEast1}}\n  Outputs:\n    ExtraArn: {{Value: !Ref Extra, Condition: InUsEast1}}\n  Conditions:\n    InUsEast1: !Equals [!Ref AWS::Region, us-east-1]\n  extensions:\n    MainLogGroup:\n      Properties:\n        RetentionInDays: 7\n"
    ));
    let main = &res(&t, "MainLambdaFunction")["Properties"];
    assert_eq!(main["MemorySize"], json!(512));
    assert_eq!(main["Timeout"], json!(30));
    assert_eq!(main["Architectures"], json!(["arm64"]));
    assert_eq!(main["TracingConfig"]["Mode"], "Active");
    assert_eq!(
        main["Environment"]["Variables"],
        json!({"SHARED": "p", "OVER": "f"})
    );
    assert_eq!(
        main["Tags"],
        json!([{"Key": "team", "Value": "core"}, {"Key": "fn", "Value": "yes"}])
    );
    assert_eq!(main["EphemeralStorage"], json!({"Size": 1024}));
    assert_eq!(main["Layers"], json!([{"Ref": "DepsLambdaLayer"}]));
    assert_eq!(
        main["VpcConfig"]["SubnetIds"],
        json!(["subnet-0123456789abcdef0"])
    );
    assert_eq!(
        main["Description"], "overridden",
        "resources deep-merge over generated ones"
    );
    assert_eq!(
        res(&t, "MainLogGroup")["Properties"]["RetentionInDays"],
        json!(7),
        "extensions merge"
    );
    assert_eq!(
        res(&t, "OwnLambdaFunction")["Properties"]["Role"],
        "arn:aws:iam::123456789012:role/own"
    );
    assert_eq!(
        res(&t, "MainLambdaFunctionUrl")["Properties"]["AuthType"],
        "NONE"
    );
    assert_eq!(
        res(&t, "MainProvConcLambdaAlias")["Properties"]["ProvisionedConcurrencyConfig"]
            ["ProvisionedConcurrentExecutions"],
        json!(2)
    );
    assert!(
        res(&t, "MainLambdaEvConf")["Properties"]["DestinationConfig"]["OnFailure"].is_object()
    );
    let role = &res(&t, "IamRoleLambdaExecution")["Properties"];
    assert_eq!(role["RoleName"], "custom-role-name");
    assert_eq!(
        role["PermissionsBoundary"],
        "arn:aws:iam::123456789012:policy/boundary"
    );
    assert_eq!(
        role["ManagedPolicyArns"].as_array().unwrap().len(),
        2,
        "user policy plus VPC access"
    );
    let st = role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert!(st.iter().any(|s| s["Action"] == json!(["s3:GetObject"])));
    assert!(
        st.iter().any(|s| s["Action"] == json!(["sqs:SendMessage"])),
        "destination permission"
    );
    assert!(st
        .iter()
        .any(|s| s["Action"] == json!(["xray:PutTraceSegments", "xray:PutTelemetryRecords"])));
    assert_eq!(t["Outputs"]["ExtraArn"]["Value"], json!({"Ref": "Extra"}));
    assert!(t["Conditions"]["InUsEast1"].is_object());
    assert!(t["Outputs"]["MainLambdaFunctionUrl"].is_object());
    assert!(t["Outputs"]["DepsLambdaLayerQualifiedArn"].is_object());

    // versionFunctions: false and every function with its own role.
    let plain = template(&format!("{HEAD}  versionFunctions: false\n  iam:\n    role: arn:aws:iam::123456789012:role/shared\nfunctions:\n  a:\n    handler: handler.hello\n"));
    assert!(
        plain["Resources"].get("IamRoleLambdaExecution").is_none(),
        "no role when an existing one is named"
    );
    assert!(
        !ids(&plain).iter().any(|i| i.contains("LambdaVersion")),
        "no versions"
    );
    assert_eq!(
        res(&plain, "ALambdaFunction")["Properties"]["Role"],
        "arn:aws:iam::123456789012:role/shared"
    );

    // Every function with its own role: no shared role either.
    let own = template(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    role: arn:aws:iam::123456789012:role/a\n  b:\n    handler: handler.hello\n    role: BRole\nresources:\n  Resources:\n    BRole:\n      Type: AWS::IAM::Role\n      Properties:\n        AssumeRolePolicyDocument: {{Version: '2012-10-17', Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n"));
    assert!(own["Resources"].get("IamRoleLambdaExecution").is_none());
    assert_eq!(
        res(&own, "BLambdaFunction")["Properties"]["Role"],
        json!({"Fn::GetAtt": ["BRole", "Arn"]})
    );

    // Legacy IAM keys.
    let legacy = template(&format!("{HEAD}  iamRoleStatements:\n    - Effect: Allow\n      Action: [sqs:SendMessage]\n      Resource: '*'\n  iamManagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\nfunctions:\n  a:\n    handler: handler.hello\n"));
    let role = &res(&legacy, "IamRoleLambdaExecution")["Properties"];
    assert_eq!(
        role["ManagedPolicyArns"],
        json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    );
    lint(vec![
        ("functions", t),
        ("plain", plain),
        ("legacy", legacy),
        ("own-roles", own),
    ]);
}

#[test]
fn layers_need_their_directory() {
    let e = fails(&format!(
        "{HEAD}layers:\n  deps:\n    path: nope\nfunctions:\n  a:\n    handler: handler.hello\n"
    ));
    assert!(e.contains("layer `deps` names directory `nope`"), "{e}");
    assert!(
        e.contains("serverless.yml:7:5 (layers.deps.path)"),
        "errors after loading have positions too: {e}"
    );
}

// ---------------------------------------------------------------- limits and conflicts

#[test]
fn past_500_resources_the_functions_move_and_what_remains_must_fit() {
    // 200 functions with an http event each: over 1,000 resources in one stack, so the
    // functions and their methods go to nested stacks; the API's paths stay in the root.
    let mut yaml = format!("{HEAD}functions:\n");
    for i in 0..200 {
        yaml.push_str(&format!(
            "  f{i}:\n    handler: handler.hello\n    events:\n      - http: GET p{i}\n"
        ));
    }
    let t = template(&yaml);
    let root = t["Resources"].as_object().unwrap();
    assert!(root.len() < 500, "{}", root.len());
    assert!(root
        .values()
        .any(|r| r["Type"] == "AWS::CloudFormation::Stack"));
    assert!(root
        .values()
        .all(|r| r["Type"] != "AWS::ApiGateway::Method"));
    assert_eq!(
        root.values()
            .filter(|r| r["Type"] == "AWS::ApiGateway::Resource")
            .count(),
        200
    );

    // What stays in the root (the user's resources) past the limit: named, with the counts.
    let mut yaml =
        format!("{HEAD}functions:\n  a:\n    handler: handler.hello\nresources:\n  Resources:\n");
    for i in 0..510 {
        yaml.push_str(&format!("    T{i}:\n      Type: AWS::SNS::Topic\n"));
    }
    let e = fails(&yaml);
    assert!(
        e.contains("the root stack, with the functions in nested stacks, would have 514 resources; CloudFormation allows 500"),
        "{e}"
    );
    assert!(e.contains("510 AWS::SNS::Topic"), "{e}");
    assert!(e.contains("serverless-compose.yml"), "{e}");
}

#[test]
fn too_many_outputs() {
    let mut yaml = format!("{HEAD}functions:\n");
    for i in 0..100 {
        yaml.push_str(&format!("  f{i}:\n    handler: handler.hello\n"));
    }
    yaml.push_str("resources:\n  Outputs:\n");
    for i in 0..210 {
        yaml.push_str(&format!("    O{i}: {{Value: x}}\n"));
    }
    // The functions' version outputs move with them; the user's 210 stay.
    let e = fails(&yaml);
    assert!(e.contains("211 Outputs; CloudFormation allows 200"), "{e}");
}

#[test]
fn template_over_one_megabyte() {
    let big = "x".repeat(1_100_000);
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\nresources:\n  Resources:\n    T:\n      Type: AWS::SNS::Topic\n      Metadata: {{Note: {big}}}\n"));
    assert!(
        e.contains("bytes; CloudFormation accepts at most 1048576"),
        "{e}"
    );
}

#[test]
fn route_conflicts_and_authorizers_that_cannot_serve() {
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events: [{{http: GET users}}]\n  b:\n    handler: handler.hello\n    events: [{{http: get /users/}}]\n"));
    assert!(
        e.contains("`GET /users` is served by both `a` and `b`"),
        "{e}"
    );
    assert!(e.contains("functions.b.events[0].http"), "{e}");
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events: [{{httpApi: GET /x}}]\n  b:\n    handler: handler.hello\n    events: [{{httpApi: GET /x}}]\n"));
    assert!(
        e.contains("route `GET /x` is served by both `a` and `b`"),
        "{e}"
    );
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - httpApi: {{method: get, path: /x, authorizer: {{name: missing}}}}\n"));
    assert!(
        e.contains("uses authorizer `missing`, which provider.httpApi.authorizers does not define"),
        "{e}"
    );
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - http: {{method: get, path: x, private: true}}\n"));
    assert!(
        e.contains("is private, but the service defines no API keys"),
        "{e}"
    );
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - http: {{method: get, path: x, authorizer: nosuchfn}}\n"));
    assert!(
        e.contains("authorizer `nosuchfn` is not a function of this service"),
        "{e}"
    );
}

#[test]
fn references_to_missing_resources_are_caught() {
    let e = fails(&format!("{HEAD}  environment:\n    T: !Ref NoSuchTable\nfunctions:\n  a:\n    handler: handler.hello\n    layers: [!Ref MissingLambdaLayer]\n"));
    assert!(
        e.contains("`NoSuchTable` is referenced by ALambdaFunction but is not in the template"),
        "{e}"
    );
    assert!(e.contains("`MissingLambdaLayer`"), "{e}");
    let e = fails(&format!("{HEAD}functions:\n  a:\n    handler: handler.hello\nresources:\n  extensions:\n    NotThere: {{Properties: {{X: 1}}}}\n  Resources:\n    NoType: {{Properties: {{}}}}\n"));
    assert!(e.contains("`extensions` names `NotThere`"), "{e}");
    assert!(e.contains("resource `NoType` has no `Type`"), "{e}");
}

#[test]
fn reserved_and_oversized_environments() {
    let e = fails(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    environment: {{AWS_REGION: x}}\n"
    ));
    assert!(e.contains("`AWS_REGION` is set by Lambda"), "{e}");
    let e = fails(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    environment: {{BIG: {}}}\n",
        "v".repeat(5000)
    ));
    assert!(
        e.contains("bytes of environment variables; Lambda allows 4096"),
        "{e}"
    );
}

// ---------------------------------------------------------------- the dry-run contract

#[test]
fn dry_run_prints_only_the_template_and_writes_nothing() {
    let yaml = format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n    events: [{{http: GET /}}]\n"
    );
    let t = Test::service(&yaml);
    let dir = t.path().to_path_buf();
    let env = vec![("SOURCE_DATE_EPOCH".to_string(), "1700000000".to_string())];
    let args: Vec<String> = ["package", "--dry-run"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let a = common::sls(&dir, &args, &env);
    assert!(a.status.success());
    let v: Value = serde_json::from_slice(&a.stdout).expect("stdout is exactly one JSON document");
    assert!(v["Resources"]["HelloLambdaFunction"].is_object());
    let stderr = String::from_utf8_lossy(&a.stderr);
    assert!(
        stderr.contains("would build 1 artifact") && stderr.contains("svc.zip"),
        "{stderr}"
    );
    assert!(
        !dir.join(".serverless").exists(),
        "a dry run writes no file"
    );
    // Determinism: the same input gives byte-identical output, whatever the files' mtimes.
    std::fs::write(dir.join("handler.js"), common::HANDLER).unwrap();
    let b = common::sls(&dir, &args, &env);
    assert_eq!(a.stdout, b.stdout);
    assert!(
        String::from_utf8_lossy(&a.stdout).contains("ApiGatewayDeployment1700000000000"),
        "the timestamp is the pinned one"
    );
}

#[test]
fn the_bundled_fixture_compiles() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hello");
    let t = common::dry_run(&dir, &[], &[]);
    assert!(t["Resources"]["HelloLambdaFunction"].is_object());
    assert!(t["Resources"]["WorkerEventSourceMappingSQSWorkQueue"].is_object());
    common::cfn_lint(
        &[("fixture".to_string(), t)],
        &["ItemsTable".into(), "WorkQueue".into()],
        &[],
    );
}

#[test]
fn runtime_management_logging_per_function_versions_and_api_tracing() {
    let t = template(&format!(
        "{HEAD}  runtimeManagement: auto\n  tracing: {{apiGateway: true}}\n  apiKeys: [legacy-key]\n  websocketsDescription: chat api\nfunctions:\n  a:\n    handler: handler.hello\n    versionFunction: false\n    runtimeManagement: {{mode: manual, arn: 'arn:aws:lambda:us-east-1::runtime:abc'}}\n    logs: {{logFormat: JSON, applicationLogLevel: INFO}}\n    events:\n      - http: {{path: x, method: get, private: true}}\n      - websocket: $default\n  b:\n    handler: handler.hello\n"
    ));
    let a = &res(&t, "ALambdaFunction")["Properties"];
    assert_eq!(
        a["RuntimeManagementConfig"],
        json!({"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": "arn:aws:lambda:us-east-1::runtime:abc"})
    );
    assert_eq!(
        a["LoggingConfig"],
        json!({"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
    );
    assert_eq!(
        res(&t, "BLambdaFunction")["Properties"]["RuntimeManagementConfig"],
        json!({"UpdateRuntimeOn": "Auto"})
    );
    assert!(
        !ids(&t).iter().any(|i| i.starts_with("ALambdaVersion")),
        "versionFunction: false on a"
    );
    assert!(ids(&t).iter().any(|i| i.starts_with("BLambdaVersion")));
    let (_, deployment) = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("ApiGatewayDeployment"))
        .unwrap();
    assert_eq!(
        deployment["Properties"]["StageDescription"]["TracingEnabled"],
        json!(true)
    );
    assert_eq!(
        res(&t, "ApiGatewayApiKey1")["Properties"]["Name"],
        "legacy-key",
        "provider.apiKeys, v3's old place"
    );
    assert_eq!(
        res(&t, "WebsocketsApi")["Properties"]["Description"],
        "chat api"
    );
    lint(vec![("settings", t)]);
}

#[test]
fn settings_sls_rs_cannot_honour_are_not_silently_dropped() {
    Test::service(&format!(
        "{HEAD}  apiGateway: {{stage: prod}}\nfunctions:\n  a:\n    handler: handler.hello\n"
    ))
    .args(&["package", "--dry-run"])
    .status(1)
    .stderr_has("error: `provider.apiGateway.stage` is not supported by sls-rs yet")
    .stderr_has("(provider.apiGateway.stage)")
    .stderr_has("the REST API's stage is the service's stage")
    .run();
}

#[test]
fn api_names_metrics_and_tags() {
    let t = template(&format!(
        "{HEAD}  tags: {{team: core}}\n  apiGateway: {{shouldStartNameWithService: true, metrics: true}}\n  httpApi: {{shouldStartNameWithService: true, useProviderTags: true}}\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - http: GET x\n      - httpApi: GET /y\n"
    ));
    assert_eq!(
        res(&t, "ApiGatewayRestApi")["Properties"]["Name"],
        "svc-dev"
    );
    assert_eq!(res(&t, "HttpApi")["Properties"]["Name"], "svc-dev");
    assert_eq!(
        res(&t, "HttpApi")["Properties"]["Tags"],
        json!({"team": "core"})
    );
    let (_, deployment) = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("ApiGatewayDeployment"))
        .unwrap();
    assert_eq!(
        deployment["Properties"]["StageDescription"]["MetricsEnabled"],
        json!(true)
    );
    lint(vec![("names", t)]);
}

#[test]
fn stream_and_event_bridge_delivery_settings() {
    let t = template(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - stream:\n          arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks'\n          maximumRecordAgeInSeconds: 3600\n          tumblingWindowInSeconds: 60\n          destinations: {{onFailure: 'arn:aws:sqs:us-east-1:123456789012:failed'}}\n      - eventBridge:\n          pattern: {{source: [my.app]}}\n          retryPolicy: {{maximumEventAge: 3600, maximumRetryAttempts: 3}}\n          deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq'\n"
    ));
    let m = &res(&t, "AEventSourceMappingKinesisClicks")["Properties"];
    assert_eq!(m["MaximumRecordAgeInSeconds"], json!(3600));
    assert_eq!(m["TumblingWindowInSeconds"], json!(60));
    assert_eq!(
        m["DestinationConfig"]["OnFailure"]["Destination"],
        "arn:aws:sqs:us-east-1:123456789012:failed"
    );
    let target = &res(&t, "Svcdevarule2EventBridgeRule")["Properties"]["Targets"][0];
    assert_eq!(
        target["RetryPolicy"],
        json!({"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3})
    );
    assert_eq!(
        target["DeadLetterConfig"]["Arn"],
        "arn:aws:sqs:us-east-1:123456789012:dlq"
    );
    lint(vec![("delivery", t)]);
}

#[test]
fn event_settings_that_would_compile_wrongly_are_refused() {
    for (event, needle) in [
        (
            "http: {path: x, method: get, integration: http}",
            "an `http` integration needs `request.uri`",
        ),
        (
            "http: {path: x, method: post, request: {schemas: {application/json: missing}}}",
            "`missing` is not a schema of provider.apiGateway.request.schemas",
        ),
        (
            "http: {path: x, method: get, integration: http-proxy, connectionType: vpc-link, request: {uri: 'http://a'}}",
            "a VPC link connection needs `connectionId`",
        ),
        (
            "http: {path: x, method: get, authorizer: {arn: 'arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_A', claims: [email]}}",
            "Cognito claims are passed to `lambda` integrations only",
        ),
        (
            "iotFleetProvisioning: {templateBody: {}}",
            "an iotFleetProvisioning event needs `provisioningRoleArn`",
        ),
        (
            "http: {path: x, method: get, integration: soap}",
            "`soap` is not an integration",
        ),
        (
            "kafka: {topic: t, bootstrapServers: [b:9092], accessConfigurations: {vpcSubnet: [subnet-1]}}",
            "a VPC access configuration needs `vpcSecurityGroup` too",
        ),
        (
            "msk: {arn: 'arn:aws:kafka:us-east-1:1:cluster/c/x', topic: t, startingPosition: AT_TIMESTAMP}",
            "`startingPosition: AT_TIMESTAMP` needs `startingPositionTimestamp`",
        ),
        (
            "rabbitmq: {arn: 'arn:aws:mq:us-east-1:1:broker:b:b-1', queue: q}",
            "rabbitmq event has no `basicAuthArn`",
        ),
        (
            "activemq: {arn: my-broker, basicAuthArn: 'arn:aws:secretsmanager:us-east-1:1:secret:s', queue: q}",
            "`arn` must be the broker's ARN",
        ),
        (
            "schedule: {rate: 'cron(0 1 * * ? *)', timezone: Europe/Paris}",
            "`timezone` applies to EventBridge Scheduler schedules",
        ),
        (
            "schedule: {rate: 'rate(1 hour)', method: scheduler, inputPath: $.detail}",
            "EventBridge Scheduler schedules do not take `inputPath`",
        ),
        (
            "websocket: {route: $connect, authorizer: auth}",
            "websocket authorizer `auth` is not a function of this service",
        ),
        (
            "websocket: {route: hello, authorizer: a}",
            "API Gateway authorizes WebSocket connections, not the `hello` route",
        ),
        (
            "websocket: {route: $connect, authorizer: {arn: !GetAtt X.Arn}}",
            "an authorizer given by an intrinsic `arn` needs a `name`",
        ),
        (
            "stream: {arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x', consumer: true}",
            "enhanced fan-out consumers read Kinesis streams, not DynamoDB streams",
        ),
    ] {
        let e = fails(&format!(
            "{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - {event}\n"
        ));
        assert!(e.contains(needle), "{event}: {e}");
    }
}

#[test]
fn snap_start_and_provisioned_concurrency_together_are_refused() {
    let e = fails(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    snapStart: true\n    provisionedConcurrency: 1\n"
    ));
    assert!(
        e.contains("function `a` has both provisionedConcurrency and snapStart"),
        "{e}"
    );
    assert!(e.contains("(functions.a.snapStart)"), "{e}");
}

#[test]
fn a_bare_event_kind_names_what_it_lacks() {
    let e = fails(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - alexaSkill\n"
    ));
    assert!(
        e.contains("the `alexaSkill` event needs its settings"),
        "{e}"
    );
    assert!(
        e.contains("any Alexa skill could invoke the function"),
        "{e}"
    );
}

/// An authorizer in another service, by ARN: named by the ARN's last part, invoked through its
/// ARN, and allowed to be invoked by this API only.
#[test]
fn websocket_authorizers_by_arn() {
    let t = template(&format!(
        "{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - websocket: {{route: $connect, authorizer: 'arn:aws:lambda:us-east-1:123456789012:function:shared-auth'}}\n"
    ));
    let r = &t["Resources"];
    let a = &r["SharedDashauthWebsocketsAuthorizer"]["Properties"];
    assert_eq!(a["Name"], "shared-auth");
    assert_eq!(a["AuthorizerType"], "REQUEST");
    assert_eq!(a["IdentitySource"], json!(["route.request.header.Auth"]));
    assert!(
        a["AuthorizerUri"]
            .to_string()
            .contains("function:shared-auth"),
        "{a}"
    );
    let route = &r["SconnectWebsocketsRoute"]["Properties"];
    assert_eq!(route["AuthorizationType"], "CUSTOM");
    assert_eq!(
        route["AuthorizerId"],
        json!({"Ref": "SharedDashauthWebsocketsAuthorizer"})
    );
    let p = &r["SharedDashauthLambdaPermissionWebsockets"]["Properties"];
    assert_eq!(
        p["FunctionName"],
        "arn:aws:lambda:us-east-1:123456789012:function:shared-auth"
    );
    assert!(p["SourceArn"].to_string().contains("WebsocketsApi"), "{p}");
    lint(vec![("ws-arn", t.clone())]);
}

/// `resources:` merges over generated resources by v3's rules: lists item by item, and
/// `extensions` key by key at the top of `Properties`, appending to `DependsOn`.
#[test]
fn user_resources_merge_over_generated_ones_as_in_v3() {
    let t = template(&format!(
        "{HEAD}  vpc: {{securityGroupIds: [sg-1, sg-2], subnetIds: [subnet-1]}}\nfunctions:\n  a:\n    handler: handler.hello\nresources:\n  Resources:\n    Other:\n      Type: AWS::SNS::Topic\n    ALambdaFunction:\n      Properties:\n        VpcConfig:\n          SecurityGroupIds: [sg-9]\n  extensions:\n    ALogGroup:\n      Properties:\n        RetentionInDays: 7\n        Tags: [{{Key: a, Value: b}}]\n      DependsOn: [Other]\n      DeletionPolicy: Retain\n"
    ));
    let f = &t["Resources"]["ALambdaFunction"]["Properties"]["VpcConfig"];
    assert_eq!(
        f["SecurityGroupIds"],
        json!(["sg-9", "sg-2"]),
        "item by item"
    );
    assert_eq!(f["SubnetIds"], json!(["subnet-1"]));
    let g = &t["Resources"]["ALogGroup"];
    assert_eq!(g["Properties"]["RetentionInDays"], 7);
    assert_eq!(g["Properties"]["LogGroupName"], "/aws/lambda/svc-dev-a");
    assert_eq!(g["DependsOn"], json!(["Other"]));
    assert_eq!(g["DeletionPolicy"], "Retain");
}

/// `provider.kinesis.consumerNamingMode: serviceSpecific` names a created consumer with the
/// service and stage, as v3 does (two services reading one stream need different names).
#[test]
fn kinesis_consumers_named_per_service() {
    let t = template(&format!(
        "{HEAD}  kinesis: {{consumerNamingMode: serviceSpecific}}\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - stream: {{type: kinesis, arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks', consumer: true}}\n"
    ));
    let c = &t["Resources"]["AclickssvcdevConsumerStreamConsumer"];
    assert_eq!(
        c["Properties"]["ConsumerName"], "aclickssvcdevConsumer",
        "{t}"
    );
    assert_eq!(
        t["Resources"]["AEventSourceMappingKinesisClicks"]["Properties"]["EventSourceArn"],
        json!({"Ref": "AclickssvcdevConsumerStreamConsumer"})
    );
}

/// A `usagePlan` alone makes the plan (v3 does; it used to be dropped without keys), and with
/// named plans every key is listed under one.
#[test]
fn usage_plans_without_keys_and_keys_outside_named_plans() {
    let t = template(&format!(
        "{HEAD}  apiGateway:\n    usagePlan: {{throttle: {{rateLimit: 5}}}}\nfunctions:\n  a:\n    handler: handler.hello\n    events: [{{http: GET x}}]\n"
    ));
    let plan = &t["Resources"]["ApiGatewayUsagePlan"]["Properties"];
    assert_eq!(plan["Throttle"], json!({"RateLimit": 5}), "{t}");
    let e = fails(&format!(
        "{HEAD}  apiGateway:\n    usagePlan: [{{free: {{}}}}]\n    apiKeys: [loose-key]\nfunctions:\n  a:\n    handler: handler.hello\n    events: [{{http: GET x}}]\n"
    ));
    assert!(
        e.contains("with named usage plans, each API key is listed under its plan"),
        "{e}"
    );
    let e = fails(&format!(
        "{HEAD}  apiGateway:\n    usagePlan: [{{paid-tier: {{}}}}]\nfunctions:\n  a:\n    handler: handler.hello\n"
    ));
    assert!(
        e.contains("usage plan name `paid-tier` may hold letters and digits only"),
        "{e}"
    );
}

/// `provider.apiGateway.websocketApiId`: the routes go on that API; its stage is made by the
/// deployment, and the endpoint names it (v3's shape; sls-rs keeps the handlers' right to answer
/// through the connections API, which v3 drops).
#[test]
fn websocket_routes_on_an_api_made_elsewhere() {
    let t = template(&format!(
        "{HEAD}  apiGateway:\n    websocketApiId: abc123\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - websocket: $connect\n"
    ));
    let r = t["Resources"].as_object().unwrap();
    assert!(
        !r.contains_key("WebsocketsApi") && !r.contains_key("WebsocketsDeploymentStage"),
        "{t}"
    );
    assert_eq!(
        r["SconnectWebsocketsRoute"]["Properties"]["ApiId"],
        "abc123"
    );
    let (_, d) = r
        .iter()
        .find(|(k, _)| k.starts_with("WebsocketsDeployment"))
        .unwrap();
    assert_eq!(d["Properties"]["StageName"], "dev");
    assert_eq!(d["Properties"]["ApiId"], "abc123");
    assert!(t["Outputs"]["ServiceEndpointWebsocket"]
        .to_string()
        .contains("abc123"));
    assert!(t["Resources"]["IamRoleLambdaExecution"]
        .to_string()
        .contains("execute-api:ManageConnections"));
    lint(vec![("ws-external", t.clone())]);
}

/// Where v3 keeps the last of two clashing `alb` events without a word, compiles a rule with no
/// priority or no condition, or crashes, sls-rs names the problem.
#[test]
fn alb_events_v3_would_drop_or_compile_wrongly_are_refused() {
    const L1: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const L2: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/50dc6c495c0c9188/aaaabbbbccccdddd";
    let alb = |priority: &str, extra: &str| {
        format!("      - alb: {{listenerArn: '{L1}', priority: {priority}, conditions: {{path: /x}}{extra}}}\n")
    };
    let f = |name: &str, events: &str| {
        format!("  {name}:\n    handler: handler.hello\n    events:\n{events}")
    };
    for (functions, provider, needle) in [
        (f("a", &format!("      - alb: {{listenerArn: '{L1}', conditions: {{path: /x}}}}\n")), "", "alb event has no `priority`"),
        (f("a", &format!("      - alb: {{listenerArn: '{L1}', priority: 1}}\n")), "", "alb event has no `conditions`"),
        (f("a", &format!("      - alb: {{listenerArn: '{L1}', priority: 1, conditions: {{}}}}\n")), "", "alb event has no condition"),
        (f("a", "      - alb: {listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/net/nlb/abc/def', priority: 1, conditions: {path: /x}}\n"), "", "is not the ARN of an Application Load Balancer listener"),
        (f("a", "      - alb: {listenerArn: {'Fn::ImportValue': shared-listener}, priority: 1, conditions: {path: /x}}\n"), "", "`listenerArn` must be an ARN or `{Ref: <listener>}`"),
        (f("a", "      - alb: some-listener\n"), "", "an alb event must be a map"),
        (f("a", &alb("1", "")) + &f("b", &alb("1", "")), "", "priority 1 is already used on this listener (by function `a`)"),
        (f("a", &(alb("1", "") + &format!("      - alb: {{listenerArn: '{L2}', priority: 1, conditions: {{path: /y}}}}\n"))), "", "function `a` has two alb events with priority 1"),
        (f("a", &(alb("1", ", healthCheck: true") + &alb("2", ""))), "", "alb events on one load balancer with different target group settings"),
        (f("a", &alb("1", ", authorizer: nope")), "  alb:\n    authorizers:\n      mine: {type: cognito, userPoolArn: 'arn:aws:cognito-idp:us-east-1:1:userpool/p', userPoolClientId: c, userPoolDomain: d}\n", "no ALB authorizer is named `nope`"),
        (f("a", &alb("1", ", targetGroupName: mine")), "  alb:\n    targetGroupPrefix: pre-\n", "`targetGroupName` and `provider.alb.targetGroupPrefix` cannot both be set"),
        (f("a", &alb("1", ", healthCheck: {intervalSeconds: 10}")), "", "the health check's timeout (30 s) must be shorter than its interval (10 s)"),
        (f("a", &format!("      - alb: {{listenerArn: '{L1}', priority: 1, conditions: {{method: get}}}}\n")), "", "`get` is not a valid value here"),
        (f("a", &alb("1", "")), "  alb:\n    authorizers:\n      x: {type: saml}\n", "`saml` is not an ALB authorizer type"),
        (f("a", &alb("1", "")), "  alb:\n    authorizers:\n      x: {type: oidc, clientId: c}\n", "this oidc authorizer needs `authorizationEndpoint`"),
    ] {
        let e = fails(&format!("{HEAD}{provider}functions:\n{functions}"));
        assert!(e.contains(needle), "{functions}{provider}: {e}");
    }
}

/// `provider.s3` settings v3 would turn into a broken bucket, or drop, are refused or named.
#[test]
fn provider_s3_buckets_are_checked() {
    let with = |s3: &str, bucket: &str| {
        format!("{HEAD}  s3:\n{s3}functions:\n  a:\n    handler: handler.hello\n    events:\n      - s3: {bucket}\n")
    };
    for (yaml, needle) in [
        (
            with("    photos: {bucketName: my-photos}\n", "photos"),
            "`bucketName` would name the bucket",
        ),
        (
            with(
                "    photos: {notificationConfiguration: {LambdaConfigurations: []}}\n",
                "photos",
            ),
            "the bucket's Lambda notifications come from the functions' `s3` events",
        ),
        (
            with("    photos: {name: My_Photos}\n", "photos"),
            "`My_Photos` is not a valid S3 bucket name",
        ),
        (
            with(
                "    Photos: {versioningConfiguration: {Status: Enabled}}\n",
                "Photos",
            ),
            "(set provider.s3.Photos.name)",
        ),
        (
            with("    photos: {tags: {team: media}}\n", "photos"),
            "`provider.s3.photos.tags` must be an array",
        ),
    ] {
        let e = fails(&yaml);
        assert!(e.contains(needle), "{yaml}: {e}");
    }
    Test::service(&with(
        "    photos: {name: my-photos-1}\n    unused-bucket: {}\n",
        "photos",
    ))
    .args(&["package", "--dry-run"])
    .stderr_has("no `s3` event names bucket `unused-bucket`, so it is not created")
    .run();
}

/// `provider.logs.restApi`: v3 applies the stage's logging with API calls after the deploy;
/// sls-rs writes it into the deployment's StageDescription, after the log group and the account
/// role's custom resource.
#[test]
fn rest_api_logging_is_in_the_stage_description() {
    let stage = |logs: &str| -> (Value, Value) {
        let t = template(&format!(
            "{HEAD}  logs:\n    restApi: {logs}\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - http: GET /a\n"
        ));
        let (_, d) = t["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.starts_with("ApiGatewayDeployment"))
            .unwrap();
        (d.clone(), t)
    };
    let (d, t) = stage("true");
    let s = &d["Properties"]["StageDescription"];
    assert_eq!(s["LoggingLevel"], "INFO");
    assert_eq!(s["DataTraceEnabled"], true);
    assert_eq!(
        s["AccessLogSetting"]["DestinationArn"]["Fn::Sub"],
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/api-gateway/svc-dev"
    );
    assert!(s["AccessLogSetting"]["Format"]
        .as_str()
        .unwrap()
        .starts_with("requestId: $context.requestId"));
    let depends = d["DependsOn"].as_array().unwrap();
    assert!(depends.contains(&json!("ApiGatewayLogGroup")));
    assert!(depends.contains(&json!("CustomApiGatewayAccountCloudWatchRole")));
    assert_eq!(
        res(&t, "ApiGatewayLogGroup")["Properties"]["LogGroupName"],
        "/aws/api-gateway/svc-dev"
    );
    let handler = res(
        &t,
        "CustomDashresourceDashapigwDashcwDashroleLambdaFunction",
    );
    assert!(handler["Properties"]["Code"]["ZipFile"]
        .as_str()
        .unwrap()
        .contains("serverlessApiGatewayCloudWatchRole"));
    lint(vec![("rest-logs", t)]);

    let (_, t) = stage("{role: 'arn:aws:iam::123456789012:role/apigw-logs'}");
    assert_eq!(
        res(&t, "CustomApiGatewayAccountCloudWatchRole")["Properties"]["RoleArn"],
        "arn:aws:iam::123456789012:role/apigw-logs"
    );

    let (d, t) = stage("{roleManagedExternally: true, executionLogging: false}");
    assert_eq!(d["Properties"]["StageDescription"]["LoggingLevel"], "OFF");
    assert!(t["Resources"]
        .get("CustomApiGatewayAccountCloudWatchRole")
        .is_none());
    assert!(t["Resources"].get("ApiGatewayLogGroup").is_some());

    let (d, t) = stage("{accessLogging: false, level: ERROR}");
    let s = &d["Properties"]["StageDescription"];
    assert_eq!(s["LoggingLevel"], "ERROR");
    assert!(s.get("AccessLogSetting").is_none());
    assert!(t["Resources"].get("ApiGatewayLogGroup").is_none());

    let (d, _) = stage("false");
    assert_eq!(d["Properties"]["StageDescription"]["LoggingLevel"], "OFF");
    assert_eq!(
        d["Properties"]["StageDescription"]["DataTraceEnabled"],
        false
    );

    let e = fails(&format!(
        "{HEAD}  logs:\n    restApi: {{level: DEBUG}}\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - http: GET /a\n"
    ));
    assert!(e.contains("`DEBUG` is not a log level here"), "{e}");
    Test::service(&format!(
        "{HEAD}  logs:\n    restApi: true\nfunctions:\n  a:\n    handler: handler.hello\n"
    ))
    .args(&["package", "--dry-run"])
    .stderr_has("no function has an `http` event, so there is no REST API stage to log")
    .run();
}

/// Both APIs logging share one account role; logging asked of an API the service lacks is said.
#[test]
fn websocket_and_rest_logging_share_the_account_role() {
    let t = template(&format!(
        "{HEAD}  logs:\n    restApi: {{role: 'arn:aws:iam::123456789012:role/logs'}}\n    websocket: {{accessLogging: false}}\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - http: GET /a\n      - websocket: $default\n"
    ));
    let r = t["Resources"].as_object().unwrap();
    assert_eq!(
        r.values()
            .filter(|v| v["Type"] == "Custom::ApiGatewayAccountRole")
            .count(),
        1
    );
    assert_eq!(
        res(&t, "CustomApiGatewayAccountCloudWatchRole")["Properties"]["RoleArn"],
        "arn:aws:iam::123456789012:role/logs"
    );
    let stage = res(&t, "WebsocketsDeploymentStage");
    assert_eq!(
        stage["Properties"]["DefaultRouteSettings"]["LoggingLevel"],
        "INFO"
    );
    assert!(stage["Properties"].get("AccessLogSettings").is_none());
    assert_eq!(
        stage["DependsOn"],
        json!(["CustomApiGatewayAccountCloudWatchRole"])
    );
    assert_eq!(
        res(&t, "WebsocketsLogGroup")["Properties"]["LogGroupName"],
        "/aws/websocket/svc-dev"
    );
    lint(vec![("both-logs", t)]);
    Test::service(&format!(
        "{HEAD}  logs:\n    websocket: true\nfunctions:\n  a:\n    handler: handler.hello\n"
    ))
    .args(&["package", "--dry-run"])
    .stderr_has("no function has a `websocket` event, so there is no WebSocket stage to log")
    .run();
}

/// Lambda@Edge settings CloudFront or Lambda would reject, or that v3 drops without a word, are
/// refused with the reason; so are existing user pools v3 cannot serve.
#[test]
fn cloudfront_and_existing_user_pool_events_v3_would_break_are_refused() {
    let edge = |extra_fn: &str, event: &str| {
        format!("{HEAD}  region: us-east-1\nfunctions:\n  a:\n    handler: handler.hello\n{extra_fn}    events:\n      - cloudFront: {event}\n")
    };
    const OK: &str = "{eventType: viewer-request, origin: 'https://example.com'}";
    for (yaml, needle) in [
        (edge("", "{origin: 'https://example.com'}"), "a cloudFront event needs `eventType`"),
        (edge("", "{eventType: viewer-request}"), "a cloudFront event needs its `origin`"),
        (edge("", "{eventType: request, origin: 'https://example.com'}"), "`request` is not a Lambda@Edge event type"),
        (edge("", "{eventType: viewer-request, origin: 'example.com'}"), "`example.com` is not a URL"),
        (edge("", "{eventType: viewer-request, origin: {DomainName: x.com}}"), "exactly one of CustomOriginConfig and S3OriginConfig"),
        (edge("    memorySize: 256\n", OK), "more than Lambda@Edge allows for viewer-request (128 MB)"),
        (edge("    timeout: 10\n", OK), "more than Lambda@Edge allows for viewer-request (5 s)"),
        (edge("    environment: {A: b}\n", OK), "where Lambda has no environment variables"),
        (edge("    versionFunction: false\n", OK), "which runs published versions only"),
        (edge("", "{eventType: viewer-request, origin: 'https://example.com', cachePolicy: {name: nope}}"), "cache policy `nope` is not defined"),
        (edge("", "{eventType: viewer-request, origin: 'https://example.com', cachePolicy: {id: x}, behavior: {MinTTL: 1}}"), "both a cache policy and the legacy cache settings"),
        (edge("", OK).replace("region: us-east-1", "region: eu-west-1"), "Lambda@Edge functions are deployed to us-east-1"),
        (
            format!("{HEAD}  region: us-east-1\nfunctions:\n  a:\n    handler: handler.hello\n    events:\n      - cloudFront: {{eventType: viewer-request, origin: 'https://a.com', pathPattern: /a}}\n      - cloudFront: {{eventType: viewer-request, origin: 'https://b.com', pathPattern: /b}}\n"),
            "several origins and none is the default",
        ),
        (
            format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - cognitoUserPool: {{pool: P, trigger: PreSignUp, existing: true}}\n      - cognitoUserPool: {{pool: Q, trigger: PostConfirmation, existing: true}}\n"),
            "sets triggers on two existing user pools, `P` and `Q`",
        ),
        (
            format!("{HEAD}functions:\n  a:\n    handler: handler.hello\n    events:\n      - cognitoUserPool: {{pool: P, trigger: PreSignUp, existing: true}}\n  b:\n    handler: handler.hello\n    events:\n      - cognitoUserPool: {{pool: P, trigger: PostConfirmation}}\n"),
            "user pool `P` is used both with and without `existing: true`",
        ),
    ] {
        let e = fails(&yaml);
        assert!(e.contains(needle), "{yaml}: {e}");
    }
}
