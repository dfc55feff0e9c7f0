# Custom::S3 handler for `s3` events with `existing: true`: adds this stack's Lambda
# notifications to a bucket the stack does not own, keeps everything else on the bucket, and
# removes only its own entries on update and delete. Inline (Code.ZipFile), so no artifact
# needs building; cfnresponse is provided by Lambda for inline Python code.
import boto3, cfnresponse

s3 = boto3.client("s3")
lam = boto3.client("lambda")


def handler(event, context):
    physical = event.get("PhysicalResourceId") or context.log_stream_name
    try:
        props = event["ResourceProperties"]
        bucket, fn = props["BucketName"], props["FunctionName"]
        part = context.invoked_function_arn.split(":")
        arn = ":".join(part[:5] + ["function", fn])
        prefix = "sls-rs-" + fn + "-"
        sid = ("sls-rs-s3-" + bucket)[:100]
        physical = bucket + "/" + fn
        cfg = s3.get_bucket_notification_configuration(Bucket=bucket)
        cfg.pop("ResponseMetadata", None)
        mine = lambda c: c.get("Id", "").startswith(prefix) or c.get("LambdaFunctionArn") == arn
        confs = [c for c in cfg.get("LambdaFunctionConfigurations", []) if not mine(c)]
        if event["RequestType"] == "Delete":
            try:
                lam.remove_permission(FunctionName=fn, StatementId=sid)
            except lam.exceptions.ResourceNotFoundException:
                pass
        else:
            try:
                lam.add_permission(FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction",
                                   Principal="s3.amazonaws.com", SourceArn="arn:" + part[1] + ":s3:::" + bucket,
                                   SourceAccount=part[4])
            except lam.exceptions.ResourceConflictException:
                pass
            for i, bc in enumerate(props.get("BucketConfigs", [])):
                c = {"Id": prefix + str(i), "LambdaFunctionArn": arn, "Events": [bc["Event"]]}
                rules = [{"Name": k.lower(), "Value": v} for r in bc.get("Rules", []) for k, v in r.items()]
                if rules:
                    c["Filter"] = {"Key": {"FilterRules": rules}}
                confs.append(c)
        cfg["LambdaFunctionConfigurations"] = confs
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=cfg,
                                                 SkipDestinationValidation=True)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical)
    except Exception as e:
        print(e)
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical, reason=str(e)[:500])
