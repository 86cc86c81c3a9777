"""The reference chapter's python walkthrough through isctl: oc's messages, and the describe
layouts checked field by field (section 6.7: tag 3.5, tag latest from 3.5, describe the
stream and the tag, update latest, delete 3.5)."""
from __future__ import annotations

import re

from .conftest import REGISTRY, Isctl

IMAGE_35 = "sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df25"
IMAGE_36 = "sha256:438208801c4806548460b27bd1fbcb7bb188273d13871ab43f"
PULL_35 = f"centos/python-35-centos7@{IMAGE_35}"
PULL_36 = f"docker.io/library/python@{IMAGE_36}"
LAYERS = [("sha256:" + "1" * 64, 2898000), ("sha256:" + "2" * 64, 176000000),
          ("sha256:" + "3" * 64, 72260000)]

# The stream and the registry's report of 3.5 (importing from the internet is impossible
# here, so the image arrives as an ImageStreamMapping, as a push would). Unquoted timestamps
# and dates must stay strings, as kubectl reads them.
SETUP = f"""\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: python
---
apiVersion: image.openshift.io/v1
kind: ImageStreamMapping
metadata:
  name: python
tag: "3.5"
image:
  metadata:
    name: {IMAGE_35}
  dockerImageReference: {PULL_35}
  dockerImageMetadata:
    Architecture: amd64
    Created: 2025-12-27T12:00:00Z
    Size: 251158000
    Config:
      Entrypoint: [container-entrypoint]
      Cmd: [/bin/sh, -c, $STI_SCRIPTS_PATH/usage]
      WorkingDir: /opt/app-root/src
      User: "1001"
      ExposedPorts: {{8080/tcp: {{}}}}
      Labels: {{build-date: "20170801"}}
      Env: [PATH=/usr/bin, STI_SCRIPTS_PATH=/usr/libexec/s2i]
  dockerImageLayers:
""" + "".join(f"  - name: {name}\n    size: {size}\n" for name, size in LAYERS)

MAPPING_36 = f"""\
apiVersion: image.openshift.io/v1
kind: ImageStreamMapping
metadata:
  name: python
tag: "3.6"
image:
  metadata:
    name: {IMAGE_36}
  dockerImageReference: {PULL_36}
"""


def fields(text: str) -> list[list[str]]:
    """Each line's cells, as a terminal shows them between runs of tabs."""
    return [re.split(r"\t+", line) for line in text.rstrip("\n").split("\n")]


def test_python_walkthrough(isctl: Isctl):
    assert isctl.ok("create", "-f", "-", stdin=SETUP) == (
        "imagestream.image.openshift.io/python created\n"
        "imagestreammapping.image.openshift.io/python created\n")
    isctl.later(4 * 60)

    # oc tag python:3.5 python:latest
    assert isctl.ok("tag", "python:3.5", "python:latest") == (
        f"Tag python:latest set to python@{IMAGE_35}.\n")
    isctl.later(65)

    # oc describe is/python, five minutes after the stream was made
    described = isctl.ok("describe", "is/python")
    assert fields(described) == [
        ["Name:", "python"],
        ["Namespace:", "default"],
        ["Created:", "5 minutes ago"],
        ["Labels:", "<none>"],
        ["Annotations:", "<none>"],
        ["Image Repository:", f"{REGISTRY}/default/python"],
        ["Image Lookup:", "local=false"],
        ["Unique Images:", "1"],
        ["Tags:", "2"],
        [""],
        ["latest"],
        [f"  tagged from python@{IMAGE_35}"],
        [""],
        [f"  * {PULL_35}"],
        ["      About a minute ago"],
        [""],
        ["3.5"],
        ["  no spec tag"],
        [""],
        [f"  * {PULL_35}"],
        ["      5 minutes ago"],
    ]
    # the labels column is aligned with tabs at oc's tab stops (3 tabs after "Name:")
    assert described.startswith("Name:\t\t\tpython\nNamespace:\t\tdefault\n")

    # oc describe istag/python:latest
    istag = isctl.ok("describe", "istag/python:latest")
    assert fields(istag) == [
        ["Image Name:", IMAGE_35],
        ["Docker Image:", PULL_35],
        ["Name:", IMAGE_35],
        ["Created:", "5 minutes ago"],
        ["Image Size:", "251.2 MB in 3 layers"],
        ["Layers:", "2.898 MB", LAYERS[0][0]],
        ["", "176 MB", LAYERS[1][0]],
        ["", "72.26 MB", LAYERS[2][0]],
        ["Image Created:", "2 weeks ago"],
        ["Author:", "<none>"],
        ["Arch:", "amd64"],
        ["Entrypoint:", "container-entrypoint"],
        ["Command:", "/bin/sh -c $STI_SCRIPTS_PATH/usage"],
        ["Working Dir:", "/opt/app-root/src"],
        ["User:", "1001"],
        ["Exposes Ports:", "8080/tcp"],
        ["Docker Labels:", "build-date=20170801"],
        ["Environment:", "PATH=/usr/bin"],
        ["", "STI_SCRIPTS_PATH=/usr/libexec/s2i"],
    ]

    # 3.6 arrives (as an import would record it), then oc tag python:3.6 python:latest
    assert isctl.ok("create", "-f", "-", stdin=MAPPING_36) == (
        "imagestreammapping.image.openshift.io/python created\n")
    isctl.later(30)
    assert isctl.ok("tag", "python:3.6", "python:latest") == (
        f"Tag python:latest set to python@{IMAGE_36}.\n")
    latest = fields(isctl.ok("describe", "is/python"))
    start = latest.index(["latest"])
    assert latest[start:start + 7] == [
        ["latest"], [f"  tagged from python@{IMAGE_36}"], [""],
        [f"  * {PULL_36}"], ["      Less than a second ago"],
        [f"    {PULL_35}"], ["      About a minute ago"]]
    assert ["Unique Images:", "2"] in latest and ["Tags:", "3"] in latest

    # oc tag -d python:3.5
    assert isctl.ok("tag", "-d", "python:3.5") == "Deleted tag default/python:3.5.\n"
    after = fields(isctl.ok("describe", "is/python"))
    assert ["3.5"] not in after and ["Tags:", "2"] in after
    tags = isctl.ok("get", "istag")
    assert tags.split("\n")[0].split() == ["NAME", "IMAGE", "REFERENCE", "UPDATED"]
    assert [line.split()[0] for line in tags.strip().split("\n")[1:]] == [
        "python:3.6", "python:latest"]
