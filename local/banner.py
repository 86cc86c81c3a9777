"""What `make run` prints once the stack is up: where things are and what to try."""
from __future__ import annotations

from typing import Any

from .settings import Settings

STREAM = ('{"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", '
          '"metadata": {"name": "python"}}')
TAG = ('{"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "tag": {"from": '
       '{"kind": "DockerImage", "name": "docker.io/python:3.6.0"}, "reference": true}}')


def banner(settings: Settings, details: dict[str, Any], restored: int) -> str:
    group = f"{settings.api_url}/apis/image.openshift.io/v1"
    state = (f"restored {restored} items from {settings.state_dir}" if restored
             else f"state is kept in {settings.state_dir}")
    return f"""
imagestreams is running ({state}). Ctrl-C stops it.

  API        {group}   (plain HTTP: curl, isctl)
  API, TLS   {settings.tls_api_url}   (HTTPS for kubectl; CA {details['tls_ca']})
  kubeconfig {details['kubeconfig']}   (kubectl as the cluster-admin)
  registry   {settings.registry}   (a push to <namespace>/<stream>:<tag> maps into that stream;
             skopeo login --tls-verify=false -u anything -p $TOKEN {settings.registry})
  AWS        {settings.aws_url}   (emulator, region {settings.region})
  table      {details['table_name']}
  topic      {details['topic_arn']}
  token      {details['token']}   (cluster-admin; new at every start)
  details    {settings.state_dir / 'endpoint.json'}

Try it from another shell:
  API={group}/namespaces/default
  TOKEN={details['token']}
  curl -s -X POST "$API/imagestreams" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{STREAM}'
  curl -s -X PUT "$API/imagestreamtags/python:3.6" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{TAG}'
  curl -s -H "Authorization: Bearer $TOKEN" "$API/imagestreams/python"
Or with kubectl, which sends a token over HTTPS only:
  KUBECONFIG={details['kubeconfig']} kubectl get is
The tag change shows up below as a message on the demo queue ("worker: demo queue: ...").
The README's walkthrough goes on from here.
"""  # noqa: E501 the banner's curl commands are printed whole, to copy and paste
