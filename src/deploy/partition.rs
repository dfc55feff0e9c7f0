//! Which AWS partition a region belongs to, and the DNS suffix of its endpoints — what a
//! template gets from `AWS::URLSuffix` and `AWS::Partition`, for the URLs sls-rs builds itself
//! (`info`'s endpoints, a template's S3 URL).

/// `amazonaws.com`, `amazonaws.com.cn` for China, and the isolated partitions' own.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-isof-") {
        "csp.hci.ic.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if region.starts_with("eu-isoe-") {
        "cloud.adc-e.uk"
    } else {
        // The commercial partition and GovCloud (`us-gov-*`) share it.
        "amazonaws.com"
    }
}

/// `https://<api>.execute-api.<region>.<suffix>`: an API Gateway API's default endpoint.
pub fn execute_api_url(api_id: &str, region: &str) -> String {
    format!(
        "https://{api_id}.execute-api.{region}.{}",
        dns_suffix(region)
    )
}

/// `https://s3.<region>.<suffix>/<bucket>/<key>`: an object's path-style URL.
pub fn s3_object_url(region: &str, bucket: &str, key: &str) -> String {
    format!("https://s3.{region}.{}/{bucket}/{key}", dns_suffix(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_follow_the_partition() {
        assert_eq!(
            execute_api_url("abc", "eu-west-1"),
            "https://abc.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            execute_api_url("abc", "cn-north-1"),
            "https://abc.execute-api.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            execute_api_url("abc", "us-gov-west-1"),
            "https://abc.execute-api.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            s3_object_url("cn-northwest-1", "b", "k/t.json"),
            "https://s3.cn-northwest-1.amazonaws.com.cn/b/k/t.json"
        );
        assert_eq!(dns_suffix("us-isob-east-1"), "sc2s.sgov.gov");
    }
}
