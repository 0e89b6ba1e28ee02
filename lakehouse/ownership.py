"""The stack's outputs name the stack's own resources, read back from their tags.

Every check finds what it judges through the Terraform outputs (the Gold database, the workgroups,
the analyst role, the buckets). A root whose output names another stack's healthy database would have
exit check 2 query that stack's Gold, and the pipeline write into it: every verdict would be about
someone else. So before any check reads them, each resource an output names is asked for its tags
through its own service's API (S3 GetBucketTagging, Glue GetTags, Athena ListTagsForResource, IAM
ListRoleTags, SNS ListTagsForResource, SageMaker ListTags, App Runner ListTagsForResource): it must
exist in this account and carry the root's ``stack_id`` tag (the provider's ``default_tags``) with
this stack's id. The alert topics matter as much as the data: exit check 7 judges whether alerts
reach someone through the topic ``alerts_topic_arn`` names, and a root naming another stack's
healthy topic would pass it for that stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.s3_routes import next_token_pages
from lakehouse.inventory import sagemaker_tags
from lakehouse.policies import STACK_TAG
from lakehouse.target import Target

#: Outputs naming one resource each, and the kind of resource.
SINGLE = {
    "athena_workgroup_name": "athena-workgroup",
    "analyst_workgroup_name": "athena-workgroup",
    "pipeline_role_arn": "iam-role",
    "analyst_role_arn": "iam-role",
    "alerts_topic_arn": "sns-topic",
    "billing_alerts_topic_arn": "sns-topic",
    "model_endpoint_name": "sagemaker-endpoint",  # null until a model version is deployed
    "catalog_service_name": "apprunner-service",  # null when the catalog is not enabled
}
#: Outputs naming one resource per layer.
PER_LAYER = {"bucket_names": "s3-bucket", "glue_database_names": "glue-database"}
#: What a missing resource answers, per API.
_MISSING = {"NoSuchBucket", "EntityNotFoundException", "NoSuchEntity", "InvalidRequestException", "404", "NotFound"}


class Missing(LookupError):
    """The resource an output names is not there (a look-up by name found nothing)."""


def named(outputs: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(output, kind, name) of every resource the outputs name that the check knows how to read."""
    for output, kind in SINGLE.items():
        if outputs.get(output):
            yield output, kind, str(outputs[output])
    for output, kind in PER_LAYER.items():
        for layer, name in sorted((outputs.get(output) or {}).items()):
            yield f"{output}.{layer}", kind, str(name)


def _tag_list(items: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or []}


def _in_account(arn: str, account: str) -> str:
    """The ARN's region, once it is shown to be in ``account`` (ValueError otherwise)."""
    parts = arn.split(":", 5)
    owner = parts[4] if len(parts) == 6 and parts[0] == "arn" else "(no account: not an ARN)"
    if owner != account:
        raise ValueError(f"it is in account {owner}, not this one ({account})")
    return parts[3]


def _topic_tags(target: Target, arn: str, account: str) -> dict[str, str]:
    """An SNS topic's tags, read in the topic's own region (GetTopicAttributes first: NotFound when it is gone)."""
    sns = target.client("sns", region=_in_account(arn, account) or target.region)
    sns.get_topic_attributes(TopicArn=arn)
    return _tag_list(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))


def endpoint_tags(target: Target, name: str, region: str | None = None) -> dict[str, str]:
    """A SageMaker endpoint's tags (ListTags on the ARN DescribeEndpoint answers: SageMaker writes ARNs lower case),
    in ``region`` (None: the target's)."""
    sagemaker = target.client("sagemaker", region=region)
    try:
        arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    except ClientError as err:
        if "could not find" in str(err.response.get("Error", {}).get("Message", "")).lower():
            raise Missing(name) from err  # SageMaker answers a ValidationException for a missing endpoint
        raise
    return sagemaker_tags(sagemaker, arn)


def _service_tags(target: Target, name: str, region: str | None = None) -> dict[str, str]:
    """An App Runner service's tags; the API takes ARNs only, so the service is found by name (ListServices)."""
    apprunner = target.client("apprunner", region=region)
    for service in next_token_pages(apprunner.list_services, "ServiceSummaryList"):  # no botocore paginator
        if service.get("ServiceName") == name and service.get("Status") != "DELETED":
            return _tag_list(apprunner.list_tags_for_resource(ResourceArn=service["ServiceArn"]).get("Tags"))
    raise Missing(name)


def read_tags(
    target: Target, kind: str, name: str, account: str, partition: str, region: str | None = None
) -> dict[str, str]:
    """The resource's tags, read in ``region`` (None: the target's); ClientError or ``Missing`` when they cannot be
    read (a missing resource included)."""
    where = region or target.region
    if kind == "s3-bucket":
        s3 = target.client("s3", region=where)
        try:
            return _tag_list(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchTagSet":
                s3.head_bucket(Bucket=name)  # untagged, or missing (raises)
                return {}
            raise
    if kind == "glue-database":
        glue = target.client("glue", region=where)
        glue.get_database(Name=name)
        arn = f"arn:{partition}:glue:{where}:{account}:database/{name}"
        return dict(glue.get_tags(ResourceArn=arn).get("Tags") or {})
    if kind == "athena-workgroup":
        athena = target.client("athena", region=where)
        athena.get_work_group(WorkGroup=name)
        arn = f"arn:{partition}:athena:{where}:{account}:workgroup/{name}"
        return _tag_list(athena.list_tags_for_resource(ResourceARN=arn).get("Tags"))
    if kind == "iam-role":
        _in_account(name, account)
        iam, role = target.client("iam"), name.rsplit("/", 1)[-1]
        return _tag_list(iam.list_role_tags(RoleName=role, MaxItems=1000).get("Tags"))
    if kind == "sns-topic":
        return _topic_tags(target, name, account)
    if kind == "sagemaker-endpoint":
        return endpoint_tags(target, name, region)
    if kind == "apprunner-service":
        return _service_tags(target, name, region)
    raise ValueError(f"no reader for {kind}")


def foreign_outputs(
    target: Target, stack_id: str, outputs: Mapping[str, Any], tags_of: Callable[..., dict[str, str]] = read_tags
) -> list[str]:
    """Why outputs name something that is not this stack's own (empty: every named resource is)."""
    identity = target.client("sts").get_caller_identity()
    account, partition = str(identity["Account"]), str(identity["Arn"]).split(":")[1]
    problems = []
    for output, kind, name in named(outputs):
        try:
            tags = tags_of(target, kind, name, account, partition)
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            why = "does not exist" if code in _MISSING else f"cannot be read ({code})"
            problems.append(f"output {output} names {kind} {name}, which {why}")
            continue
        except Missing:
            problems.append(f"output {output} names {kind} {name}, which does not exist")
            continue
        except (BotoCoreError, ValueError) as err:
            problems.append(f"output {output} names {kind} {name}: {err}")
            continue
        if tags.get(STACK_TAG) != stack_id:
            owner = f"{STACK_TAG}={tags[STACK_TAG]}" if STACK_TAG in tags else f"no {STACK_TAG} tag"
            problems.append(f"output {output} names {kind} {name}, which is not this stack's ({owner})")
    return problems
