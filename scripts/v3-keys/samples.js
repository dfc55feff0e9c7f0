'use strict';
// Hand-written sample values for every key of the osls 3.77.1 AWS config schema.
// path -> { sample, with?, remove?, files?, note? }
// For event properties see EVENT_BASE / EVENT_PROPS below.

const ACCT = '123456789012';
const ARN = {
  sqs: `arn:aws:sqs:us-east-1:${ACCT}:my-queue`,
  sns: `arn:aws:sns:us-east-1:${ACCT}:my-topic`,
  ddbStream: `arn:aws:dynamodb:us-east-1:${ACCT}:table/my-table/stream/2024-01-01T00:00:00.000`,
  kinesis: `arn:aws:kinesis:us-east-1:${ACCT}:stream/my-stream`,
  secret: `arn:aws:secretsmanager:us-east-1:${ACCT}:secret:MySecret-AbCdEf`,
  mq: `arn:aws:mq:us-east-1:${ACCT}:broker:MyBroker:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9`,
  msk: `arn:aws:kafka:us-east-1:${ACCT}:cluster/my-cluster/abcd1234-ab12-cd34-ef56-abcdef123456-1`,
  listener: `arn:aws:elasticloadbalancing:us-east-1:${ACCT}:listener/app/my-lb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  role: `arn:aws:iam::${ACCT}:role/my-role`,
  policy: `arn:aws:iam::${ACCT}:policy/my-boundary`,
  kms: `arn:aws:kms:us-east-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  layer: `arn:aws:lambda:us-east-1:${ACCT}:layer:my-layer:1`,
  efs: `arn:aws:elasticfilesystem:us-east-1:${ACCT}:access-point/fsap-0123456789abcdef0`,
  alarm: `arn:aws:cloudwatch:us-east-1:${ACCT}:alarm:my-alarm`,
  userPool: `arn:aws:cognito-idp:us-east-1:${ACCT}:userpool/us-east-1_AbCdEfGhI`,
  bucket: 'arn:aws:s3:::my-destination-bucket',
  managed: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
};
const IMAGE_URI = `${ACCT}.dkr.ecr.us-east-1.amazonaws.com/my-repo@sha256:${'a'.repeat(64)}`;
const STATEMENT = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::my-bucket/*'] };
const DATA_POLICY = {
  Name: 'data-protection',
  Version: '2021-06-01',
  Statement: [
    { Sid: 'audit', DataIdentifier: ['arn:aws:dataprotection::aws:data-identifier/EmailAddress'], Operation: { Audit: { FindingsDestination: {} } } },
    { Sid: 'redact', DataIdentifier: ['arn:aws:dataprotection::aws:data-identifier/EmailAddress'], Operation: { Deidentify: { MaskConfig: {} } } },
  ],
};
const VPC = { securityGroupIds: ['sg-0123456789abcdef0'], subnetIds: ['subnet-0123456789abcdef0'] };

// events added to functions.hello.events by `with`
const ev = (...events) => ({ functions: { hello: { events } } });
const WITH_HTTP = ev({ http: 'GET /hello' });
const WITH_HTTPAPI = ev({ httpApi: 'GET /hello' });
const WITH_WS = ev({ websocket: '$connect' });
const WITH_ALB = ev({ alb: { listenerArn: ARN.listener, priority: 1, conditions: { path: ['/hello'] } } });
const WITH_S3 = ev({ s3: { bucket: 'bucket-one' } });
const AUTH_FN = { auth: { handler: 'handler.auth' } };
const LAYER_FILES = { 'layer/nodejs/index.js': 'module.exports = {};\n' };
const WITH_LAYER = { layers: { common: { path: 'layer' } } };

const README = { 'README.md': '# readme\n' };
const S = {};
const add = (path, sample, extra = {}) => {
  if (S[path]) throw new Error(`dup ${path}`);
  S[path] = { sample, ...extra };
};

// ---------------------------------------------------------------- top level
add('configValidationMode', 'error', { note: 'base test services already set error' });
add('console', false);
add('custom', { myKey: 'myValue' });
add('deprecationNotificationMode', 'warn');
add('disabledDeprecations', ['LAMBDA_HASHING_VERSION_PROPERTY']);
add('frameworkVersion', '3');
add('functions', { hello: { handler: 'handler.hello' }, other: { handler: 'handler.other' } });
add('package', { patterns: ['!README.md'] }, { files: README });
add('params', { dev: { myParam: 'value' } });
add('plugins', []);
add('projectDir', '.');
add('provider', { name: 'aws', runtime: 'nodejs22.x', region: 'us-east-1', memorySize: 512 });
add('service', 'keys-renamed');
add('useDotenv', true);
add('variablesResolutionMode', '20210326');
add('resources', { Resources: { MyQueue: { Type: 'AWS::SQS::Queue' } } });
add('layers', { common: { path: 'layer' } }, { files: LAYER_FILES });

// ---------------------------------------------------------------- package.*
add('package.artifact', 'artifact.zip', { files: { 'artifact.zip': '@zip' }, note: 'needs a real zip file at the path' });
add('package.exclude', ['README.md'], { files: README });
add('package.excludeDevDependencies', false);
add('package.include', ['handler.js']);
add('package.individually', true);
add('package.path', 'build');
add('package.patterns', ['!README.md'], { files: README });

// ---------------------------------------------------------------- resources.*
add('resources.AWSTemplateFormatVersion', '2010-09-09');
add('resources.Conditions', { IsProd: { 'Fn::Equals': ['${sls:stage}', 'prod'] } });
add('resources.Description', 'My stack description');
add('resources.Mappings', { RegionMap: { 'us-east-1': { Ami: 'ami-123' } } });
add('resources.Metadata', { 'My::Meta': { key: 'value' } });
add('resources.Outputs', { MyOutput: { Value: 'hello' } });
add('resources.Parameters', { MyParam: { Type: 'String', Default: 'x' } });
add('resources.Resources', { MyQueue: { Type: 'AWS::SQS::Queue' } });
add('resources.Transform', ['AWS::Serverless-2016-10-31']);
add('resources.extensions', { HelloLambdaFunction: { Properties: { Description: 'extended' } } });

// ---------------------------------------------------------------- provider.*
add('provider.name', 'aws');
add('provider.alb', { targetGroupPrefix: 'pre-' }, { with: WITH_ALB });
add('provider.apiGateway', { minimumCompressionSize: 1024 }, { with: WITH_HTTP });
add('provider.apiName', 'my-rest-api', { with: WITH_HTTP });
add('provider.architecture', 'arm64');
add('provider.cfnRole', ARN.role);
const WITH_CF_POLICY = ev({ cloudFront: { eventType: 'viewer-response', origin: 'https://example.com/', cachePolicy: { name: 'myPolicy' } } });
add('provider.cloudFront', { cachePolicies: { myPolicy: { DefaultTTL: 60, MaxTTL: 120, MinTTL: 0, ParametersInCacheKeyAndForwardedToOrigin: { CookiesConfig: { CookieBehavior: 'none' }, EnableAcceptEncodingGzip: true, HeadersConfig: { HeaderBehavior: 'none' }, QueryStringsConfig: { QueryStringBehavior: 'none' } } } } }, { with: WITH_CF_POLICY });
add('provider.deploymentBucket', 'my-deployment-bucket');
add('provider.deploymentPrefix', 'my-prefix');
add('provider.disableRollback', true);
add('provider.endpointType', 'REGIONAL', { with: WITH_HTTP });
add('provider.environment', { MY_VAR: 'value' });
add('provider.eventBridge', { useCloudFormation: true }, { with: ev({ eventBridge: { pattern: { source: ['my.source'] } } }) });
add('provider.httpApi', { name: 'my-http-api' }, { with: WITH_HTTPAPI });
add('provider.iam', { role: { statements: [STATEMENT] } });
add('provider.iamManagedPolicies', [ARN.managed]);
add('provider.iamRoleStatements', [STATEMENT]);
add('provider.ecr', { images: { myimage: { uri: IMAGE_URI } } });
add('provider.kmsKeyArn', ARN.kms);
add('provider.lambdaHashingVersion', '20201221');
add('provider.layers', [ARN.layer]);
add('provider.logRetentionInDays', 14);
add('provider.logDataProtectionPolicy', DATA_POLICY);
add('provider.logs', { lambda: { logFormat: 'JSON' } });
add('provider.memorySize', 512);
add('provider.notificationArns', [ARN.sns]);
add('provider.profile', 'default');
add('provider.region', 'eu-west-1');
add('provider.role', ARN.role);
add('provider.rolePermissionsBoundary', ARN.policy);
add('provider.rollbackConfiguration', { MonitoringTimeInMinutes: 5, RollbackTriggers: [{ Arn: ARN.alarm, Type: 'AWS::CloudWatch::Alarm' }] });
add('provider.runtime', 'python3.12');
add('provider.runtimeManagement', 'onFunctionUpdate');
add('provider.deploymentMethod', 'direct');
add('provider.s3', { 'bucket-one': { name: 'my-bucket-one-name' } }, { with: WITH_S3 });
add('provider.stage', 'prod');
add('provider.stackName', 'my-custom-stack');
add('provider.stackParameters', [{ ParameterKey: 'MyParam', ParameterValue: 'value' }]);
add('provider.stackPolicy', [{ Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' }]);
add('provider.stackTags', { team: 'platform' });
add('provider.tags', { team: 'platform' });
add('provider.timeout', 10);
add('provider.tracing', { lambda: true });
add('provider.vpc', VPC);
add('provider.vpcEndpointIds', ['vpce-0123456789abcdef0'], { with: { provider: { endpointType: 'PRIVATE' }, ...WITH_HTTP } });
add('provider.versionFunctions', false);
add('provider.websocket', { useProviderTags: true }, { with: { provider: { tags: { team: 'platform' } }, ...WITH_WS } });
add('provider.websocketsApiName', 'my-ws-api', { with: WITH_WS });
add('provider.kinesis', { consumerNamingMode: 'serviceSpecific' }, { with: ev({ stream: { arn: ARN.kinesis, consumer: true } }) });
add('provider.websocketsApiRouteSelectionExpression', '$request.body.route', { with: WITH_WS });
add('provider.websocketsDescription', 'My websocket API', { with: WITH_WS });

// provider.alb.*
add('provider.alb.targetGroupPrefix', 'pre-', { with: WITH_ALB });
add('provider.alb.authorizers', { myAuth: { type: 'cognito', userPoolArn: ARN.userPool, userPoolClientId: 'client123', userPoolDomain: 'my-domain' } },
  { with: ev({ alb: { listenerArn: ARN.listener, priority: 1, conditions: { path: ['/hello'] }, authorizer: ['myAuth'] } }) });

// provider.apiGateway.*
add('provider.apiGateway.apiKeys', ['myKey'], { with: WITH_HTTP });
add('provider.apiGateway.apiKeySourceType', 'HEADER', { with: WITH_HTTP });
add('provider.apiGateway.binaryMediaTypes', ['image/png'], { with: WITH_HTTP });
add('provider.apiGateway.description', 'My REST API', { with: WITH_HTTP });
add('provider.apiGateway.disableDefaultEndpoint', true, { with: WITH_HTTP });
add('provider.apiGateway.endpoint', { securityPolicy: 'TLS_1_2' }, { with: WITH_HTTP });
add('provider.apiGateway.metrics', true, { with: WITH_HTTP });
add('provider.apiGateway.minimumCompressionSize', 1024, { with: WITH_HTTP });
add('provider.apiGateway.resourcePolicy', [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: ['execute-api:/*/*/*'] }], { with: WITH_HTTP });
add('provider.apiGateway.restApiId', 'abcdef1234', { with: { provider: { apiGateway: { restApiRootResourceId: 'root123456' } }, ...WITH_HTTP } });
add('provider.apiGateway.restApiResources', { '/hello': 'res123' }, { with: { provider: { apiGateway: { restApiId: 'abcdef1234', restApiRootResourceId: 'root123456' } }, ...ev({ http: 'GET /hello/world' }) } });
add('provider.apiGateway.restApiRootResourceId', 'root123456', { with: { provider: { apiGateway: { restApiId: 'abcdef1234' } }, ...WITH_HTTP } });
add('provider.apiGateway.request', { schemas: { mySchema: { schema: { type: 'object' } } } }, { with: ev({ http: { path: 'hello', method: 'post', request: { schemas: { 'application/json': 'mySchema' } } } }) });
add('provider.apiGateway.shouldStartNameWithService', true, { with: WITH_HTTP });
add('provider.apiGateway.stage', 'v1', { with: WITH_HTTP });
add('provider.apiGateway.timeoutInMillis', 10000, { with: WITH_HTTP });
add('provider.apiGateway.usagePlan', { quota: { limit: 1000, period: 'DAY' }, throttle: { burstLimit: 20, rateLimit: 10 } }, { with: { provider: { apiGateway: { apiKeys: ['myKey'] } }, ...WITH_HTTP } });
add('provider.apiGateway.websocketApiId', 'wsapi12345', { with: WITH_WS });

// provider.httpApi.*
add('provider.httpApi.authorizers', { myJwt: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl: 'https://example.com', audience: ['my-audience'] } },
  { with: ev({ httpApi: { path: '/hello', method: 'get', authorizer: { name: 'myJwt' } } }) });
add('provider.httpApi.cors', true, { with: WITH_HTTPAPI });
add('provider.httpApi.id', 'abcdef1234', { with: WITH_HTTPAPI });
add('provider.httpApi.name', 'my-http-api', { with: WITH_HTTPAPI });
add('provider.httpApi.description', 'My HTTP API', { with: WITH_HTTPAPI });
add('provider.httpApi.payload', '1.0', { with: WITH_HTTPAPI });
add('provider.httpApi.metrics', true, { with: WITH_HTTPAPI });
add('provider.httpApi.useProviderTags', true, { with: { provider: { tags: { team: 'platform' } }, ...WITH_HTTPAPI } });
add('provider.httpApi.disableDefaultEndpoint', true, { with: WITH_HTTPAPI });
add('provider.httpApi.shouldStartNameWithService', true, { with: WITH_HTTPAPI });

// provider.logs.*
add('provider.logs.frameworkLambda', true, { with: ev({ s3: { bucket: 'my-existing-bucket', existing: true } }), note: 'only matters for framework-created custom-resource lambdas (here: existing s3 bucket)' });
add('provider.logs.httpApi', true, { with: WITH_HTTPAPI });
add('provider.logs.restApi', true, { with: WITH_HTTP });
add('provider.logs.websocket', true, { with: WITH_WS });
add('provider.logs.lambda', { logFormat: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'INFO', logGroup: '/custom/my-group' });

// provider.iam.*
add('provider.iam.role', ARN.role);
add('provider.iam.deploymentRole', ARN.role);
add('provider.iam.role.name', 'my-custom-role-name');
add('provider.iam.role.path', '/my/');
add('provider.iam.role.managedPolicies', [ARN.managed]);
add('provider.iam.role.statements', [STATEMENT]);
add('provider.iam.role.permissionBoundary', ARN.policy);
add('provider.iam.role.permissionsBoundary', ARN.policy);
add('provider.iam.role.tags', { team: 'platform' });

// provider.deploymentBucket.* (object form)
add('provider.deploymentBucket.blockPublicAccess', true);
add('provider.deploymentBucket.skipPolicySetup', true);
add('provider.deploymentBucket.maxPreviousDeploymentArtifacts', 3);
add('provider.deploymentBucket.name', 'my-deployment-bucket');
add('provider.deploymentBucket.versioning', true);
add('provider.deploymentBucket.serverSideEncryption', 'AES256');
add('provider.deploymentBucket.sseCustomerAlgorithim', 'AES256', { with: { provider: { deploymentBucket: { name: 'my-deployment-bucket' } } } });
add('provider.deploymentBucket.sseCustomerKey', 'bXlrZXk=', { with: { provider: { deploymentBucket: { name: 'my-deployment-bucket' } } } });
add('provider.deploymentBucket.sseCustomerKeyMD5', 'bXltZDU=', { with: { provider: { deploymentBucket: { name: 'my-deployment-bucket' } } } });
add('provider.deploymentBucket.sseKMSKeyId', ARN.kms, { with: { provider: { deploymentBucket: { serverSideEncryption: 'aws:kms' } } } });
add('provider.deploymentBucket.tags', { team: 'platform' });

// provider.vpc.*
add('provider.vpc.ipv6AllowedForDualStack', true, { with: { provider: { vpc: VPC } } });
add('provider.vpc.securityGroupIds', VPC.securityGroupIds, { with: { provider: { vpc: { subnetIds: VPC.subnetIds } } } });
add('provider.vpc.subnetIds', VPC.subnetIds, { with: { provider: { vpc: { securityGroupIds: VPC.securityGroupIds } } } });

// provider.tracing.*
add('provider.tracing.apiGateway', true, { with: WITH_HTTP });
add('provider.tracing.lambda', 'Active');

// provider.eventBridge.*
add('provider.eventBridge.useCloudFormation', true, { with: ev({ eventBridge: { pattern: { source: ['my.source'] } } }) });

// provider.ecr.*
const ECR_IMAGES = { myimage: { uri: IMAGE_URI } };
add('provider.ecr.scanOnPush', true, { with: { provider: { ecr: { images: ECR_IMAGES } } } });
add('provider.ecr.maxImageCount', 5, { with: { provider: { ecr: { images: ECR_IMAGES } } } });
add('provider.ecr.images', ECR_IMAGES, { with: { functions: { img: { image: { name: 'myimage' } } } } });

// provider.cloudFront.*
add('provider.cloudFront.cachePolicies', S['provider.cloudFront'].sample.cachePolicies, { with: WITH_CF_POLICY });

// provider.s3.<bucket>.*   (bucket key "bucketOne", referenced by an s3 event)
const s3p = (k, v) => add(`provider.s3.*.${k}`, v, { with: WITH_S3 });
s3p('accelerateConfiguration', { AccelerationStatus: 'Enabled' });
s3p('accessControl', 'Private');
s3p('analyticsConfigurations', [{ Id: 'analytics', StorageClassAnalysis: {} }]);
s3p('bucketEncryption', { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
s3p('bucketName', 'my-bucket-one-name');
s3p('corsConfiguration', { CorsRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] });
s3p('inventoryConfigurations', [{ Destination: { BucketArn: ARN.bucket, Format: 'CSV' }, Enabled: true, Id: 'inventory', IncludedObjectVersions: 'All', ScheduleFrequency: 'Daily' }]);
s3p('lifecycleConfiguration', { Rules: [{ Status: 'Enabled', ExpirationInDays: 30 }] });
s3p('loggingConfiguration', { DestinationBucketName: 'my-log-bucket', LogFilePrefix: 'logs/' });
s3p('metricsConfigurations', [{ Id: 'metrics' }]);
s3p('name', 'my-bucket-one-name');
s3p('notificationConfiguration', { TopicConfigurations: [{ Event: 's3:ObjectCreated:*', Topic: ARN.sns }] });
s3p('objectLockConfiguration', { ObjectLockEnabled: 'Enabled' });
s3p('objectLockEnabled', true);
s3p('publicAccessBlockConfiguration', { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
s3p('replicationConfiguration', { Role: ARN.role, Rules: [{ Destination: { Bucket: ARN.bucket }, Status: 'Enabled' }] });
s3p('tags', [{ Key: 'team', Value: 'platform' }]);
s3p('versioningConfiguration', { Status: 'Enabled' });
s3p('websiteConfiguration', { IndexDocument: 'index.html' });

// provider.rollbackConfiguration.*
add('provider.rollbackConfiguration.RollbackTriggers', [{ Arn: ARN.alarm, Type: 'AWS::CloudWatch::Alarm' }]);
add('provider.rollbackConfiguration.MonitoringTimeInMinutes', 5);
// provider.websocket.* / provider.kinesis.*
add('provider.websocket.useProviderTags', true, { with: { provider: { tags: { team: 'platform' } }, ...WITH_WS } });
add('provider.kinesis.consumerNamingMode', 'serviceSpecific', { with: ev({ stream: { arn: ARN.kinesis, consumer: true } }) });
// provider.logDataProtectionPolicy.*
add('provider.logDataProtectionPolicy.Name', 'data-protection', { with: { provider: { logDataProtectionPolicy: { Version: DATA_POLICY.Version, Statement: DATA_POLICY.Statement } } } });
add('provider.logDataProtectionPolicy.Description', 'desc', { with: { provider: { logDataProtectionPolicy: DATA_POLICY } } });
add('provider.logDataProtectionPolicy.Version', '2021-06-01', { with: { provider: { logDataProtectionPolicy: { Name: DATA_POLICY.Name, Statement: DATA_POLICY.Statement } } } });
add('provider.logDataProtectionPolicy.Statement', DATA_POLICY.Statement, { with: { provider: { logDataProtectionPolicy: { Name: DATA_POLICY.Name, Version: DATA_POLICY.Version } } } });
// provider.runtimeManagement.* (object form)
add('provider.runtimeManagement.mode', 'onFunctionUpdate');
add('provider.runtimeManagement.arn', `arn:aws:lambda:us-east-1::runtime:${'0'.repeat(64)}`, { with: { provider: { runtimeManagement: { mode: 'manual' } } } });

// ---------------------------------------------------------------- functions.*
const FN_REF = { resources: { Resources: { MyQueue: { Type: 'AWS::SQS::Queue' } }, Conditions: { IsProd: { 'Fn::Equals': ['${sls:stage}', 'prod'] } } } };
add('functions.*.name', 'my-custom-function-name');
add('functions.*.events', [{ schedule: 'rate(5 minutes)' }]);
add('functions.*.architecture', 'arm64');
add('functions.*.awsKmsKeyArn', ARN.kms);
add('functions.*.condition', 'IsProd', { with: FN_REF });
add('functions.*.dependsOn', ['MyQueue'], { with: FN_REF });
add('functions.*.description', 'My function');
add('functions.*.destinations', { onFailure: ARN.sqs });
add('functions.*.disableLogs', true);
add('functions.*.environment', { MY_VAR: 'value' });
add('functions.*.ephemeralStorageSize', 1024);
add('functions.*.logs', { logFormat: 'JSON' });
add('functions.*.fileSystemConfig', { arn: ARN.efs, localMountPath: '/mnt/efs' }, { with: { provider: { vpc: VPC } } });
add('functions.*.handler', 'handler.main');
add('functions.*.image', IMAGE_URI, { remove: ['functions.hello.handler'] });
add('functions.*.kmsKeyArn', ARN.kms);
add('functions.*.recursiveLoop', 'Allow');
add('functions.*.snapStart', true, { with: { functions: { hello: { runtime: 'java21' } } } });
add('functions.*.layers', [ARN.layer]);
add('functions.*.logRetentionInDays', 14);
add('functions.*.logDataProtectionPolicy', DATA_POLICY);
add('functions.*.maximumEventAge', 3600);
add('functions.*.maximumRetryAttempts', 1);
add('functions.*.memorySize', 512);
add('functions.*.onError', ARN.sns);
add('functions.*.package', { patterns: ['!README.md'] }, { files: README, with: { package: { individually: true } } });
add('functions.*.provisionedConcurrency', 1);
add('functions.*.reservedConcurrency', 5);
add('functions.*.role', ARN.role);
add('functions.*.runtime', 'python3.12');
add('functions.*.runtimeManagement', 'onFunctionUpdate');
add('functions.*.tags', { team: 'platform' });
add('functions.*.timeout', 10);
add('functions.*.tracing', 'Active');
add('functions.*.url', true);
add('functions.*.versionFunction', false);
add('functions.*.vpc', VPC);
add('functions.*.httpApi', { payload: '1.0' }, { with: WITH_HTTPAPI });

// functions.*.<object key>.* (deeper keys; listed as extra)
add('functions.*.url.authorizer', 'aws_iam');
add('functions.*.url.cors', true);
add('functions.*.url.invokeMode', 'RESPONSE_STREAM');
add('functions.*.destinations.onSuccess', ARN.sqs);
add('functions.*.destinations.onFailure', ARN.sns);
add('functions.*.logs.applicationLogLevel', 'WARN', { with: { functions: { hello: { logs: { logFormat: 'JSON' } } } } });
add('functions.*.logs.logFormat', 'JSON');
add('functions.*.logs.logGroup', '/custom/hello');
add('functions.*.logs.systemLogLevel', 'WARN', { with: { functions: { hello: { logs: { logFormat: 'JSON' } } } } });
add('functions.*.image.uri', IMAGE_URI, { remove: ['functions.hello.handler'] });
add('functions.*.image.name', 'myimage', { remove: ['functions.hello.handler'], with: { provider: { ecr: { images: { myimage: { uri: IMAGE_URI } } } } } });
add('functions.*.image.workingDirectory', '/var/task', { remove: ['functions.hello.handler'], with: { functions: { hello: { image: { uri: IMAGE_URI } } } } });
add('functions.*.image.command', ['handler.hello'], { remove: ['functions.hello.handler'], with: { functions: { hello: { image: { uri: IMAGE_URI } } } } });
add('functions.*.image.entryPoint', ['/lambda-entrypoint.sh'], { remove: ['functions.hello.handler'], with: { functions: { hello: { image: { uri: IMAGE_URI } } } } });
add('functions.*.package.patterns', ['!README.md'], { files: README, with: { package: { individually: true } } });
add('functions.*.package.individually', true);
add('functions.*.package.artifact', 'artifact.zip', { files: { 'artifact.zip': '@zip' } });

// ---------------------------------------------------------------- layers.*
const lp = (k, v, extra = {}) => add(`layers.*.${k}`, v, { with: WITH_LAYER, files: LAYER_FILES, ...extra });
lp('allowedAccounts', ['*']);
lp('compatibleArchitectures', ['arm64']);
lp('compatibleRuntimes', ['nodejs22.x']);
lp('description', 'My layer');
lp('licenseInfo', 'MIT');
lp('name', 'my-layer-name');
lp('package', { patterns: ['!**/*.md'] }, { files: { ...LAYER_FILES, 'layer/README.md': '# layer\n' } });
lp('path', 'layer', { with: undefined });
lp('retain', true);

// ---------------------------------------------------------------- events
// minimal object form of each event, and string forms where the schema allows one
const EVENT_BASE = {
  schedule: { rate: ['rate(5 minutes)'] },
  s3: { bucket: 'my-photos-bucket' },
  http: { path: 'hello', method: 'get' },
  websocket: { route: '$connect' },
  sns: { topicName: 'my-topic' },
  stream: { arn: ARN.ddbStream },
  kafka: { accessConfigurations: { saslScram512Auth: [ARN.secret] }, bootstrapServers: ['broker1.example.com:9092'], topic: 'my-topic' },
  activemq: { arn: ARN.mq, basicAuthArn: ARN.secret, queue: 'my-queue' },
  rabbitmq: { arn: ARN.mq, basicAuthArn: ARN.secret, queue: 'my-queue' },
  msk: { arn: ARN.msk, topic: 'my-topic' },
  alb: { listenerArn: ARN.listener, priority: 1, conditions: { path: ['/hello'] } },
  alexaSkill: { appId: 'amzn1.ask.skill.12345678-1234-1234-1234-123456789012' },
  alexaSmartHome: { appId: 'amzn1.ask.skill.12345678-1234-1234-1234-123456789012' },
  iot: { sql: "SELECT * FROM 'my/topic'" },
  iotFleetProvisioning: { templateBody: { Parameters: { SerialNumber: { Type: 'String' } }, Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } } } }, provisioningRoleArn: ARN.role },
  cloudwatchEvent: { event: { source: ['aws.ec2'] } },
  cloudwatchLog: { logGroup: '/aws/lambda/other' },
  cognitoUserPool: { pool: 'MyUserPool', trigger: 'PreSignUp' },
  eventBridge: { pattern: { source: ['my.source'] } },
  sqs: { arn: ARN.sqs },
  cloudFront: { eventType: 'viewer-response', origin: 'https://example.com/' },
  httpApi: { path: '/hello', method: 'get' },
};
const EVENT_STRING = {
  schedule: 'rate(5 minutes)',
  s3: 'my-photos-bucket',
  http: 'GET /hello',
  websocket: '$connect',
  sns: 'my-topic',
  stream: ARN.ddbStream,
  alexaSkill: 'amzn1.ask.skill.12345678-1234-1234-1234-123456789012',
  alexaSmartHome: 'amzn1.ask.skill.12345678-1234-1234-1234-123456789012',
  cloudwatchLog: '/aws/lambda/other',
  sqs: ARN.sqs,
  httpApi: 'GET /hello',
};
// event property -> { sample, base? (overrides EVENT_BASE), with?, drop? (keys removed from base) }
const kin = { arn: ARN.kinesis };
const EVENT_PROPS = {
  schedule: {
    rate: { sample: ['rate(10 minutes)'] },
    enabled: { sample: false },
    name: { sample: 'my-schedule' },
    description: { sample: 'My schedule' },
    input: { sample: { key: 'value' } },
    inputPath: { sample: '$.detail' },
    inputTransformer: { sample: { inputTemplate: '{"time": <time>}', inputPathsMap: { time: '$.time' } } },
    method: { sample: 'scheduler' },
    roleArn: { sample: ARN.role, base: { rate: ['rate(5 minutes)'], method: 'scheduler' } },
    groupName: { sample: 'my-group', base: { rate: ['rate(5 minutes)'], method: 'scheduler' } },
    timezone: { sample: 'America/New_York', base: { rate: ['cron(0 12 * * ? *)'], method: 'scheduler' } },
  },
  s3: {
    bucket: { sample: 'other-photos-bucket' },
    event: { sample: 's3:ObjectRemoved:*' },
    existing: { sample: true },
    forceDeploy: { sample: true, base: { bucket: 'my-photos-bucket', existing: true } },
    rules: { sample: [{ prefix: 'uploads/' }, { suffix: '.jpg' }] },
  },
  http: {
    async: { sample: true, base: { path: 'hello', method: 'post', integration: 'lambda' } },
    authorizer: { sample: 'auth', with: { functions: AUTH_FN } },
    connectionId: { sample: 'vpclink123', base: { path: 'hello', method: 'get', integration: 'http-proxy', connectionType: 'vpc-link', request: { uri: 'http://example.com/hello' } } },
    connectionType: { sample: 'vpc-link', base: { path: 'hello', method: 'get', integration: 'http-proxy', connectionId: 'vpclink123', request: { uri: 'http://example.com/hello' } } },
    cors: { sample: true },
    integration: { sample: 'lambda' },
    method: { sample: 'post' },
    operationId: { sample: 'getHello' },
    path: { sample: 'hello/{id}' },
    private: { sample: true },
    request: { sample: { parameters: { querystrings: { name: true } } } },
    response: { sample: { headers: { 'Content-Type': "'text/plain'" } }, base: { path: 'hello', method: 'get', integration: 'lambda' } },
    timeoutInMillis: { sample: 10000 },
  },
  websocket: {
    route: { sample: 'sendMessage' },
    routeResponseSelectionExpression: { sample: '$default', base: { route: 'sendMessage' } },
    authorizer: { sample: 'auth', with: { functions: AUTH_FN } },
  },
  sns: {
    arn: { sample: ARN.sns, drop: ['topicName'] },
    topicName: { sample: 'other-topic' },
    displayName: { sample: 'My Topic' },
    filterPolicy: { sample: { color: ['red'] } },
    filterPolicyScope: { sample: 'MessageBody', base: { topicName: 'my-topic', filterPolicy: { color: ['red'] } } },
    redrivePolicy: { sample: { deadLetterTargetArn: ARN.sqs } },
  },
  stream: {
    arn: { sample: ARN.kinesis },
    type: { sample: 'dynamodb' },
    batchSize: { sample: 50 },
    parallelizationFactor: { sample: 2 },
    startingPosition: { sample: 'LATEST' },
    startingPositionTimestamp: { sample: 1700000000, base: { arn: ARN.kinesis, consumer: true, startingPosition: 'AT_TIMESTAMP' }, note: 'osls only emits StartingPositionTimestamp for kinesis consumer events' },
    enabled: { sample: false },
    consumer: { sample: true, base: kin },
    batchWindow: { sample: 10 },
    maximumRetryAttempts: { sample: 3 },
    bisectBatchOnFunctionError: { sample: true },
    maximumRecordAgeInSeconds: { sample: 120 },
    functionResponseType: { sample: 'ReportBatchItemFailures' },
    destinations: { sample: { onFailure: ARN.sqs } },
    tumblingWindowInSeconds: { sample: 30 },
    filterPatterns: { sample: [{ eventName: ['INSERT'] }] },
  },
  kafka: {
    accessConfigurations: { sample: { saslScram256Auth: [ARN.secret] } },
    batchSize: { sample: 50 },
    maximumBatchingWindow: { sample: 5 },
    enabled: { sample: false },
    bootstrapServers: { sample: ['broker2.example.com:9092'] },
    startingPosition: { sample: 'LATEST' },
    startingPositionTimestamp: { sample: 1700000000, extraBase: { startingPosition: 'AT_TIMESTAMP' } },
    topic: { sample: 'other-topic' },
    onFailureDestination: { sample: ARN.sqs },
    consumerGroupId: { sample: 'my-consumer-group' },
    filterPatterns: { sample: [{ value: { color: ['red'] } }] },
    provisionedPollerConfig: { sample: { minimumPollers: 1, maximumPollers: 5 } },
  },
  activemq: {
    arn: { sample: ARN.mq.replace('MyBroker', 'MyOtherBroker') }, basicAuthArn: { sample: ARN.secret.replace('MySecret', 'OtherSecret') }, queue: { sample: 'other-queue' },
    batchSize: { sample: 50 }, maximumBatchingWindow: { sample: 5 }, enabled: { sample: false },
    filterPatterns: { sample: [{ data: { color: ['red'] } }] },
  },
  rabbitmq: {
    arn: { sample: ARN.mq.replace('MyBroker', 'MyOtherBroker') }, basicAuthArn: { sample: ARN.secret.replace('MySecret', 'OtherSecret') }, queue: { sample: 'other-queue' },
    batchSize: { sample: 50 }, maximumBatchingWindow: { sample: 5 }, enabled: { sample: false },
    virtualHost: { sample: '/my-vhost' },
    filterPatterns: { sample: [{ data: { color: ['red'] } }] },
  },
  msk: {
    arn: { sample: ARN.msk.replace('my-cluster', 'other-cluster') }, topic: { sample: 'other-topic' },
    batchSize: { sample: 50 }, maximumBatchingWindow: { sample: 5 }, enabled: { sample: false },
    startingPosition: { sample: 'LATEST' },
    startingPositionTimestamp: { sample: 1700000000, extraBase: { startingPosition: 'AT_TIMESTAMP' } },
    saslScram512: { sample: ARN.secret },
    consumerGroupId: { sample: 'my-consumer-group' },
    filterPatterns: { sample: [{ value: { color: ['red'] } }] },
    provisionedPollerConfig: { sample: { minimumPollers: 1, maximumPollers: 5 } },
  },
  alb: {
    authorizer: { sample: ['myAuth'], with: { provider: { alb: { authorizers: { myAuth: { type: 'cognito', userPoolArn: ARN.userPool, userPoolClientId: 'client123', userPoolDomain: 'my-domain' } } } } } },
    conditions: { sample: { path: ['/other'], method: ['GET'] } },
    healthCheck: { sample: true },
    listenerArn: { sample: ARN.listener.replace('my-lb', 'other-lb') },
    multiValueHeaders: { sample: true },
    priority: { sample: 2 },
    targetGroupName: { sample: 'my-target-group' },
  },
  alexaSkill: { appId: { sample: 'amzn1.ask.skill.aaaaaaaa-1234-1234-1234-123456789012' }, enabled: { sample: false } },
  alexaSmartHome: { appId: { sample: 'amzn1.ask.skill.aaaaaaaa-1234-1234-1234-123456789012' }, enabled: { sample: false } },
  iot: {
    sql: { sample: "SELECT * FROM 'other/topic'" },
    sqlVersion: { sample: '2016-03-23' },
    name: { sample: 'myIotRule' },
    enabled: { sample: false },
    description: { sample: 'My IoT rule' },
  },
  iotFleetProvisioning: {
    enabled: { sample: false },
    provisioningRoleArn: { sample: `arn:aws:iam::${ACCT}:role/other-role` },
    templateBody: { sample: { Parameters: { ThingName: { Type: 'String' } }, Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'ThingName' } } } } } },
    templateName: { sample: 'my-template' },
  },
  cloudwatchEvent: {
    event: { sample: { source: ['aws.s3'] } },
    input: { sample: { key: 'value' } },
    inputPath: { sample: '$.detail' },
    inputTransformer: { sample: { inputTemplate: '{"time": <time>}', inputPathsMap: { time: '$.time' } } },
    description: { sample: 'My rule' },
    name: { sample: 'my-rule' },
    enabled: { sample: false },
  },
  cloudwatchLog: { logGroup: { sample: '/aws/lambda/another' }, filter: { sample: '{$.level = "ERROR"}' } },
  cognitoUserPool: {
    pool: { sample: 'OtherPool' },
    trigger: { sample: 'PostConfirmation' },
    existing: { sample: true },
    forceDeploy: { sample: true, extraBase: { existing: true } },
    kmsKeyId: { sample: ARN.kms, base: { pool: 'MyUserPool', trigger: 'CustomSMSSender' } },
  },
  eventBridge: {
    eventBus: { sample: 'my-event-bus' },
    schedule: { sample: 'rate(10 minutes)', drop: ['pattern'] },
    name: { sample: 'my-rule' },
    description: { sample: 'My rule' },
    enabled: { sample: false },
    pattern: { sample: { source: ['other.source'] } },
    input: { sample: { key: 'value' } },
    inputPath: { sample: '$.detail' },
    inputTransformer: { sample: { inputTemplate: '{"time": <time>}', inputPathsMap: { time: '$.time' } } },
    retryPolicy: { sample: { maximumRetryAttempts: 2, maximumEventAge: 3600 } },
    deadLetterQueueArn: { sample: ARN.sqs },
  },
  sqs: {
    arn: { sample: ARN.sqs.replace('my-queue', 'other-queue') },
    batchSize: { sample: 5 },
    enabled: { sample: false },
    maximumBatchingWindow: { sample: 10 },
    functionResponseType: { sample: 'ReportBatchItemFailures' },
    filterPatterns: { sample: [{ body: { color: ['red'] } }] },
    maximumConcurrency: { sample: 5 },
  },
  cloudFront: {
    behavior: { sample: { ViewerProtocolPolicy: 'https-only' } },
    cachePolicy: { sample: { name: 'myPolicy' }, with: { provider: { cloudFront: S['provider.cloudFront'].sample } } },
    eventType: { sample: 'origin-request' },
    isDefaultOrigin: { sample: true },
    includeBody: { sample: true, base: { eventType: 'origin-request', origin: 'https://example.com/' } },
    origin: { sample: 'https://other.example.com/' },
    pathPattern: { sample: '/images/*' },
  },
  httpApi: {
    authorizer: { sample: { type: 'aws_iam' } },
    method: { sample: 'post' },
    path: { sample: '/other' },
  },
};

module.exports = { S, EVENT_BASE, EVENT_STRING, EVENT_PROPS, ARN };
