"""What IAM authorizes for each AWS request a function makes: its actions, the resource
ARN each is on and the condition keys the request carries.

Each operation is mapped by hand from AWS's Service Authorization Reference and the
services' guides; an operation not mapped here raises NotModelled, so a function that
starts calling something new fails the least-privilege test until it is described here.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .policy_evaluator import Authorization

# Secrets Manager appends six random characters to a secret's name in its ARN; a request
# by name is authorized on that ARN. The tests stand them in with these: the policies must
# match a secret by its name's prefix, never by the suffix.
SECRET_SUFFIX = "-Ab12Cd"


class NotModelled(NotImplementedError):
    """A request whose authorization this module does not describe yet."""


@dataclass(frozen=True)
class RecordedCall:
    """One AWS API call, made by (or for) one Lambda function."""

    function: str  # the Chalice handler name of the function whose role makes the call
    service: str  # botocore's name of the service: dynamodb, dynamodbstreams, ecr, sns...
    operation: str  # the API operation: TransactWriteItems, CreateRepository...
    params: Mapping[str, Any]
    region: str
    # GetRecords names its shard iterator only; the recorder notes the stream it came from.
    stream_arn: str | None = None
    # Who makes it: "code" (recorded from the function's own clients) or the Lambda service
    # acting with the function's role (log delivery, the event source mapping's reads).
    made_by: str = "code"

    def __str__(self) -> str:
        return f"{self.function}: {self.service}.{self.operation} ({self.made_by})"


@dataclass(frozen=True)
class KeySchemas:
    """Partition key attribute of each table and index, for dynamodb:LeadingKeys; and the
    KMS key of each encrypted topic, whose publishers use it."""

    tables: Mapping[str, str] = field(default_factory=dict)  # table name → attribute
    indexes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (table, index)
    topic_keys: Mapping[str, str] = field(default_factory=dict)  # topic ARN → key ARN

    def partition_key(self, table: str, index: str | None = None) -> str:
        try:
            return self.indexes[(table, index)] if index else self.tables[table]
        except KeyError:
            raise NotModelled(f"no key schema for table {table!r} index {index!r}") from None


def authorizations(call: RecordedCall, account: str, keys: KeySchemas) -> list[Authorization]:
    """Every authorization AWS makes for `call`."""
    describe = _SERVICES.get(call.service)
    if describe is None:
        raise NotModelled(f"{call}: service {call.service} is not modelled")
    return describe(call, _Arns(call.region, account), keys)


@dataclass(frozen=True)
class _Arns:
    region: str
    account: str

    def of(self, service: str, resource: str, account: str | None = None) -> str:
        return f"arn:aws:{service}:{self.region}:{account or self.account}:{resource}"


def _tag_context(tags: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """aws:RequestTag/<key> per tag and aws:TagKeys: what a request that tags carries."""
    context = {f"aws:RequestTag/{key}": (value,) for key, value in tags.items()}
    context["aws:TagKeys"] = tuple(tags)
    return context


def _not_modelled(call: RecordedCall) -> NotModelled:
    return NotModelled(f"{call}: how AWS authorizes {call.service}.{call.operation} is not "
                       "described in tests/iam/aws_requests.py")


# -- DynamoDB ------------------------------------------------------------------------------

_KEY_EQUALS = re.compile(r"(#?[A-Za-z0-9_.\-]+)\s*=\s*(:[A-Za-z0-9_]+)")
_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _table(name_or_arn: str, arns: _Arns) -> tuple[str, str]:
    """(table name, table ARN) of a TableName parameter, which may be either."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":table/", 1)[1].split("/", 1)[0], name_or_arn
    return name_or_arn, arns.of("dynamodb", f"table/{name_or_arn}")


def _scalar(value: Mapping[str, Any]) -> str:
    (kind, scalar), = value.items()
    if kind not in ("S", "N"):
        raise NotModelled(f"a partition key of type {kind}")
    return str(scalar)


def _leading(table: str, keys: KeySchemas, items: list[Mapping[str, Any]]) -> tuple[str, ...]:
    """dynamodb:LeadingKeys: the partition key values of the items a request touches."""
    attribute = keys.partition_key(table)
    return tuple(dict.fromkeys(_scalar(item[attribute]) for item in items))


def _item_request(action: str, request: Mapping[str, Any], arns: _Arns,
                  keys: KeySchemas) -> Authorization:
    name, arn = _table(request["TableName"], arns)
    item = request.get("Key") or request["Item"]
    return Authorization(f"dynamodb:{action}", arn,
                         {"dynamodb:LeadingKeys": _leading(name, keys, [item])})


def _query_leading(call: RecordedCall, table: str, index: str | None,
                   keys: KeySchemas) -> tuple[str, ...]:
    """The partition key value a Query's key condition names (`<key> = :value`)."""
    params = call.params
    expression = params.get("KeyConditionExpression")
    if expression is None:
        raise NotModelled(f"{call}: a Query without KeyConditionExpression")
    names = params.get("ExpressionAttributeNames", {})
    wanted = keys.partition_key(table, index)
    for name, placeholder in _KEY_EQUALS.findall(expression):
        if names.get(name, name) == wanted:
            return (_scalar(params["ExpressionAttributeValues"][placeholder]),)
    raise NotModelled(f"{call}: no `{wanted} = :value` in {expression!r}")


def _dynamodb(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    params, operation = call.params, call.operation
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        return [_item_request(operation, params, arns, keys)]
    if operation in ("Query", "Scan"):
        name, arn = _table(params["TableName"], arns)
        index = params.get("IndexName")
        resource = f"{arn}/index/{index}" if index else arn
        context = ({"dynamodb:LeadingKeys": _query_leading(call, name, index, keys)}
                   if operation == "Query" else {})
        return [Authorization(f"dynamodb:{operation}", resource, context)]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        found = []
        for table_name, requests in params["RequestItems"].items():
            name, arn = _table(table_name, arns)
            if operation == "BatchGetItem":
                items = list(requests["Keys"])
            else:
                items = [r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]
                         for r in requests]
            found.append(Authorization(f"dynamodb:{operation}", arn,
                                       {"dynamodb:LeadingKeys": _leading(name, keys, items)}))
        return found
    if operation in ("TransactWriteItems", "TransactGetItems"):
        # Authorized per contained request, as the action that request is on its own.
        found = []
        for entry in params["TransactItems"]:
            (kind, request), = entry.items()
            found.append(_item_request(_ITEM_ACTIONS[kind], request, arns, keys))
        return found
    if operation in ("DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups"):
        return [Authorization(f"dynamodb:{operation}", _table(params["TableName"], arns)[1])]
    raise _not_modelled(call)


def _dynamodb_streams(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    """DynamoDB Streams' actions are in the dynamodb namespace, on the stream's ARN."""
    operation = call.operation
    if operation in ("DescribeStream", "GetShardIterator"):
        return [Authorization(f"dynamodb:{operation}", call.params["StreamArn"])]
    if operation == "GetRecords":
        if call.stream_arn is None:
            raise NotModelled(f"{call}: the stream of this shard iterator is not known")
        return [Authorization("dynamodb:GetRecords", call.stream_arn)]
    if operation == "ListStreams" and "TableName" in call.params:
        # Scoped to the table's streams, as AWS's own policy for a stream's Lambda does.
        return [Authorization("dynamodb:ListStreams",
                              f"{_table(call.params['TableName'], arns)[1]}/stream/*")]
    raise _not_modelled(call)


# -- ECR -----------------------------------------------------------------------------------

def _ecr(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    params, operation = call.params, call.operation

    def repository(name: str) -> str:
        return arns.of("ecr", f"repository/{name}", params.get("registryId"))

    if operation == "CreateRepository":
        tags = {tag["Key"]: tag["Value"] for tag in params.get("tags", [])}
        arn = repository(params["repositoryName"])
        create = Authorization("ecr:CreateRepository", arn, _tag_context(tags) if tags else {})
        # Tags in the create are authorized again as tagging (ECR User Guide, "Using
        # Tag-Based Access Control"): the tags must be allowed to ecr:TagResource too.
        return [create, Authorization("ecr:TagResource", arn, _tag_context(tags))] if tags \
            else [create]
    if operation == "TagResource":
        tags = {tag["Key"]: tag["Value"] for tag in params["tags"]}
        return [Authorization("ecr:TagResource", params["resourceArn"], _tag_context(tags))]
    if operation in ("BatchGetImage", "GetDownloadUrlForLayer", "DescribeImages", "ListImages",
                     "BatchCheckLayerAvailability", "SetRepositoryPolicy", "BatchDeleteImage"):
        return [Authorization(f"ecr:{operation}", repository(params["repositoryName"]))]
    if operation == "DescribeRepositories":
        # Without names it describes every repository: authorized on all of them.
        names = params.get("repositoryNames") or ["*"]
        return [Authorization("ecr:DescribeRepositories", repository(n)) for n in names]
    raise _not_modelled(call)


# -- SNS, SQS, Secrets Manager, CloudWatch Logs, X-Ray ---------------------------------------------

def _topic_key(topic: str, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    """A publish to a topic encrypted with a KMS key also uses that key, with the
    publisher's credentials: "publishers must have kms:GenerateDataKey* and kms:Decrypt
    permissions for the KMS key" (Amazon SNS Developer Guide, "Key management"). SNS calls
    KMS on the publisher's behalf (kms:ViaService) with the topic's ARN as the encryption
    context."""
    key = keys.topic_keys.get(topic)
    if key is None:
        return []
    context = {"kms:ViaService": (f"sns.{arns.region}.amazonaws.com",),
               "kms:CallerAccount": (arns.account,),
               "kms:EncryptionContext:aws:sns:topicArn": (topic,)}
    return [Authorization(action, key, context)
            for action in ("kms:GenerateDataKey", "kms:Decrypt")]


def _sns(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    params, operation = call.params, call.operation
    if operation == "Publish":
        topic = params.get("TopicArn") or params["TargetArn"]
        return [Authorization("sns:Publish", topic), *_topic_key(topic, arns, keys)]
    if operation == "PublishBatch":  # IAM has no PublishBatch action: it is sns:Publish
        return [Authorization("sns:Publish", params["TopicArn"]),
                *_topic_key(params["TopicArn"], arns, keys)]
    if operation in ("Subscribe", "ListSubscriptionsByTopic"):
        return [Authorization(f"sns:{operation}", params["TopicArn"])]
    if operation in ("Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes"):
        return [Authorization(f"sns:{operation}", params["SubscriptionArn"])]
    raise _not_modelled(call)


def _sqs(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    if call.operation in ("SendMessage", "SendMessageBatch"):
        account, name = urlsplit(call.params["QueueUrl"]).path.strip("/").split("/")
        return [Authorization("sqs:SendMessage", arns.of("sqs", name, account))]
    raise _not_modelled(call)


def _secretsmanager(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    params, operation = call.params, call.operation

    def secret(name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        return arns.of("secretsmanager", f"secret:{name_or_arn}{SECRET_SUFFIX}")

    if operation == "CreateSecret":
        arn = secret(params["Name"])
        tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
        create = Authorization("secretsmanager:CreateSecret", arn,
                               _tag_context(tags) if tags else {})
        # With Tags, CreateSecret also needs secretsmanager:TagResource (the CreateSecret
        # API reference, "Required permissions").
        return [create, Authorization("secretsmanager:TagResource", arn, _tag_context(tags))] \
            if tags else [create]
    if operation in ("DescribeSecret", "GetSecretValue", "DeleteSecret", "PutSecretValue",
                     "UpdateSecret"):
        return [Authorization(f"secretsmanager:{operation}", secret(params["SecretId"]))]
    if operation == "ListSecrets":  # no resource-level permission
        return [Authorization("secretsmanager:ListSecrets", "*")]
    raise _not_modelled(call)


def _logs(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    if call.operation in ("CreateLogStream", "PutLogEvents"):
        group, stream = call.params["logGroupName"], call.params["logStreamName"]
        return [Authorization(f"logs:{call.operation}",
                              arns.of("logs", f"log-group:{group}:log-stream:{stream}"))]
    raise _not_modelled(call)


def _xray(call: RecordedCall, arns: _Arns, keys: KeySchemas) -> list[Authorization]:
    """X-Ray's actions have no resource-level permission: they are authorized on `*`."""
    if call.operation in ("PutTraceSegments", "PutTelemetryRecords"):
        return [Authorization(f"xray:{call.operation}", "*")]
    raise _not_modelled(call)


_SERVICES: dict[str, Callable[[RecordedCall, _Arns, KeySchemas], list[Authorization]]] = {
    "dynamodb": _dynamodb, "dynamodbstreams": _dynamodb_streams, "ecr": _ecr, "sns": _sns,
    "sqs": _sqs, "secretsmanager": _secretsmanager, "logs": _logs, "xray": _xray}
