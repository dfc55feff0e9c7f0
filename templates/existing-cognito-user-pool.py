# Custom::CognitoUserPool (`cognitoUserPool` events, `existing: true`): sets this stack's
# function as triggers of a pool made elsewhere, with Cognito's permission; takes only its own
# off on update and delete. UpdateUserPool resets what it is not given, so every setting of
# the pool its model takes is sent back. Inline; Lambda provides cfnresponse.
import boto3, cfnresponse

idp = boto3.client("cognito-idp")
lam = boto3.client("lambda")
SENDERS = ("CustomSMSSender", "CustomEmailSender")


def keep(value, shape):
    if shape.type_name == "structure":
        return {k: keep(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if shape.type_name == "list":
        return [keep(v, shape.member) for v in value]
    return value


def find(name):
    for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60):
        for p in page["UserPools"]:
            if p["Name"] == name:
                return idp.describe_user_pool(UserPoolId=p["Id"])["UserPool"]


def sid(fn, pool):
    return (fn + "-" + "".join(c for c in pool.lower() if c not in ".:* \t"))[:100]


def triggers(props, arn, add, part):
    fn, name = props["FunctionName"], props["UserPoolName"]
    pool = find(name)
    if pool is None:
        if add:
            raise Exception('Could not find Cognito User Pool "%s"' % name)
        return
    cfg = {k: v for k, v in pool.get("LambdaConfig", {}).items()
           if v != arn and not (isinstance(v, dict) and v.get("LambdaArn") == arn)}
    if add:
        for c in props.get("UserPoolConfigs", []):
            t = c["Trigger"]
            if t in SENDERS:
                cfg[t] = {"LambdaArn": arn, "LambdaVersion": c["LambdaVersion"]}
                if c.get("KMSKeyID"):
                    cfg["KMSKeyID"] = c["KMSKeyID"]
            elif t == "PreTokenGeneration" and c.get("LambdaVersion"):
                cfg["PreTokenGenerationConfig"] = {"LambdaArn": arn, "LambdaVersion": c["LambdaVersion"]}
            else:
                cfg[t] = arn
    if not any(k in cfg for k in SENDERS):
        cfg.pop("KMSKeyID", None)
    req = keep(pool, idp.meta.service_model.operation_model("UpdateUserPool").input_shape)
    # Deprecated: the password policy holds it now.
    unused = req.get("AdminCreateUserConfig", {}).pop("UnusedAccountValidityDays", None)
    policy = req.get("Policies", {}).get("PasswordPolicy")
    if unused is not None and policy is not None:
        policy.setdefault("TemporaryPasswordValidityDays", unused)
    req.update(UserPoolId=pool["Id"], LambdaConfig=cfg)
    idp.update_user_pool(**req)
    # Set again each time: the pool may have been made anew under its name.
    try:
        lam.remove_permission(FunctionName=fn, StatementId=sid(fn, name))
    except lam.exceptions.ResourceNotFoundException:
        pass
    if add:
        lam.add_permission(FunctionName=fn, StatementId=sid(fn, name), Action="lambda:InvokeFunction",
            Principal="cognito-idp.amazonaws.com", SourceArn="arn:%s:cognito-idp:%s:%s:userpool/%s"
            % (part[1], part[3], part[4], pool["Id"]))


def handler(event, context):
    physical = event.get("PhysicalResourceId", "")
    try:
        part = context.invoked_function_arn.split(":")
        arn_of = lambda p: ":".join(part[:5] + ["function", p["FunctionName"]])
        props, old = event["ResourceProperties"], event.get("OldResourceProperties")
        physical = props["FunctionName"] + "/" + props["UserPoolName"]
        if event["RequestType"] == "Delete":
            triggers(props, arn_of(props), False, part)
        else:
            key = lambda p: (p["UserPoolName"], p["FunctionName"])
            if old and key(old) != key(props):
                triggers(old, arn_of(old), False, part)
            triggers(props, arn_of(props), True, part)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as e:
        print(e)
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(e)[:500])
