# Custom::ApiGatewayAccountRole handler for `provider.logs.restApi`: API Gateway writes a REST
# API's logs only once the account names a CloudWatch role. Sets the configured role (RoleArn),
# or, when the account has none, creates serverlessApiGatewayCloudWatchRole (v3's name) with
# AWS's managed policy and sets that. A role the account already has is kept unless RoleArn names
# another. Delete leaves the account's setting: other APIs may log through it. Inline
# (Code.ZipFile); cfnresponse is provided by Lambda for inline Python code.
import json, time, boto3, cfnresponse

NAME = "serverlessApiGatewayCloudWatchRole"


def handler(event, context):
    physical = event.get("PhysicalResourceId") or "api-gateway-cloudwatch-role"
    try:
        if event["RequestType"] != "Delete":
            part = context.invoked_function_arn.split(":")
            ensure(event["ResourceProperties"].get("RoleArn"), part[1], part[4])
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as e:
        print(e)
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(e)[:500])


def ensure(wanted, partition, account):
    apigw = boto3.client("apigateway")
    current = apigw.get_account().get("cloudwatchRoleArn")
    if not wanted:
        if current:
            return
        iam = boto3.client("iam")
        try:
            attached = iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"]
        except iam.exceptions.NoSuchEntityException:
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                     "Principal": {"Service": ["apigateway.amazonaws.com"]}}]}
            iam.create_role(RoleName=NAME, Path="/", AssumeRolePolicyDocument=json.dumps(trust))
            attached = []
        policy = "arn:%s:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" % partition
        if not any(p["PolicyArn"] == policy for p in attached):
            iam.attach_role_policy(RoleName=NAME, PolicyArn=policy)
        wanted = "arn:%s:iam::%s:role/%s" % (partition, account, NAME)
    if current == wanted:
        return
    # A role just created takes a few seconds before API Gateway may assume it.
    for attempt in range(10):
        try:
            apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": wanted}])
            return
        except apigw.exceptions.BadRequestException:
            if attempt == 9:
                raise
            time.sleep(3)
