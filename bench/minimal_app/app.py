"""The cold-start baseline: a minimal Chalice app that imports boto3 and serves one route
with one DynamoDB GetItem, the AWS work every real route has at least."""
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="minimal")
_dynamodb = None


def dynamodb():
    global _dynamodb
    if _dynamodb is None:  # created on first use, as the real app creates its clients
        _dynamodb = boto3.client("dynamodb")
    return _dynamodb


@app.route("/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamtags/{name}")
def imagestreamtag(namespace, name):
    stream, _, tag = name.partition(":")
    item = dynamodb().get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True, Key={
        "PK": {"S": f"IS#{namespace}/{stream}"}, "SK": {"S": f"T#{tag}"}}).get("Item")
    return {"found": item is not None}
