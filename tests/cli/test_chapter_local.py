"""The reference chapter, end to end, with isctl only, on the local stack (`make run`).

Images are pushed with skopeo (as a build would push them); every step of the chapter is
an isctl command: create a stream, import from the local registry over plain HTTP, tag,
alias, schedule, describe, roll back, keep credentials for a registry with token auth and
import through them, and share the images: system:image-puller for a user and for the
service accounts of another namespace, who then read the tagged image's metadata, pull it
from the local registry with their token (and tag it into their own namespace) but cannot
tag in the shared one.

The registry with token auth is the registry tests' own (testbed/registry.py): the
local registry's token auth takes the service's own tokens, and the service reads it with
tokens it signs itself, so credentials kept for it would prove nothing. The stack is told
it may import from that registry with IMPORT_ALLOW_LIST, as a user would allow one of theirs.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from isctl.cli import main
from testbed.local_stack import RunningStack, start_stack  # noqa: F401 (a fixture)
from testbed.oci_layout import BuiltImage, OciLayout
from testbed.registry import RegistryServer, token_registry  # noqa: F401 (a fixture)

from .conftest import Result

PULLER = "clusterrole.rbac.authorization.k8s.io/system:image-puller"


@pytest.fixture
def allow_token_registry(token_registry: RegistryServer,  # noqa: F811 (a fixture)
                         monkeypatch: pytest.MonkeyPatch) -> RegistryServer:
    """Set before the stack starts (start_stack takes this process's environment)."""
    assert token_registry.token_server is not None
    token_host = token_registry.token_server.url.split("/")[2]
    monkeypatch.setenv("IMPORT_ALLOW_LIST", f"{token_registry.host},{token_host}")
    return token_registry


class Chapter:
    """isctl run in process against the stack, from a directory beside its .local/."""

    def __init__(self, stack: RunningStack, home: Path, capsys: pytest.CaptureFixture):
        self.stack, self.capsys = stack, capsys
        self.work = home / "work"
        self.work.mkdir()
        (self.work / ".local").symlink_to(Path(stack.env["LOCAL_STATE_DIR"]),
                                          target_is_directory=True)
        self.env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(list(args), env=self.env, cwd=self.work, stdin=io.StringIO(""))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.code == 0, (args, result, self.stack.log()[-3000:])
        return result.out

    @property
    def registry(self) -> str:
        return self.stack.endpoint["registry"]

    def push(self, layout: OciLayout, tag: str, destination: str) -> None:
        """skopeo copy to the local registry, with the stack's admin token (the registry
        takes the service's tokens once its token auth is on; without it, no credentials
        are asked for)."""
        result = subprocess.run(
            ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
             f"--dest-creds=isctl:{self.stack.endpoint['token']}", f"oci:{layout.path}:{tag}",
             f"docker://{self.registry}/{destination}"],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

    def inspect(self, reference: str, token: str) -> subprocess.CompletedProcess:
        """A pull of the manifest from the local registry, whose token auth takes the
        service's tokens as passwords."""
        return subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                               f"--creds=isctl:{token}", f"docker://{self.registry}/{reference}"],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture
def chapter(allow_token_registry: RegistryServer, start_stack,  # noqa: F811 (fixtures)
            tmp_path: Path, capsys: pytest.CaptureFixture) -> Iterator[Chapter]:
    yield Chapter(start_stack(), tmp_path, capsys)


def images(directory: Path, *names: str) -> tuple[OciLayout, dict[str, BuiltImage]]:
    layout = OciLayout(directory)
    built = {}
    for name in names:
        built[name] = layout.image([{"version.txt": f"python {name}\n".encode()}])
        layout.tag(name, built[name])
    return layout, built


def tag_lines(described: str, tag: str) -> list[str]:
    """The lines of one tag's block in `describe is` output."""
    block = described.split(f"\n\n{tag}\n", 1)[1].split("\n\n\n", 1)[0]
    return [line.rstrip() for line in block.split("\n")]


def test_the_reference_chapter_with_isctl_on_the_local_stack(chapter: Chapter, tmp_path: Path,
                                                              allow_token_registry: RegistryServer):
    registry = chapter.registry
    layout, built = images(tmp_path / "layout", "3.5", "3.6")
    chapter.push(layout, "3.5", "default/upstream:3.5")
    chapter.push(layout, "3.6", "default/upstream:3.6")
    v35, v36 = built["3.5"].digest, built["3.6"].digest

    assert chapter.ok("login").startswith(f'Logged into "{chapter.stack.endpoint["api"]}"')
    assert chapter.ok("whoami") == "admin\n"

    # 6.7: create the stream, and import its 3.5 tag from the local registry (plain HTTP)
    assert chapter.ok("create", "imagestream", "python") == (
        "imagestream.image.openshift.io/python created\n")
    source_35 = f"{registry}/default/upstream:3.5"
    plain = chapter("import-image", "python:3.5", "--from", source_35, "--confirm")
    assert plain.code == 0 and f"hint: {registry} seems to serve plain HTTP" in plain.err
    imported = chapter.ok("import-image", "python:3.5", "--insecure")
    assert imported.startswith("imagestream.image.openshift.io/python imported\n\n")
    assert f"Image Name:\tpython:3.5\nDocker Image:\t{registry}/default/upstream@{v35}\n" \
        in imported

    # 6.7.2: tag, and an alias that tracks 3.5
    assert chapter.ok("tag", "python:3.5", "python:latest") == (
        f"Tag python:latest set to python@{v35}.\n")
    assert chapter.ok("tag", "--alias", "python:3.5", "python:stable") == (
        "Tag python:stable set up to track python:3.5.\n")
    # 6.7.6: periodic import of an external image
    source_36 = f"{registry}/default/upstream:3.6"
    assert chapter.ok("tag", source_36, "python:3.6", "--scheduled", "--insecure") == (
        f"Tag python:3.6 set to import {source_36} periodically.\n")

    # 6.7.1: describe the stream and a tag
    described = chapter.ok("describe", "is/python")
    assert re.search(r"^Tags:\s+4$", described, re.MULTILINE), described
    assert tag_lines(described, "3.6")[:3] == [
        f"  updates automatically from registry {source_36}",
        "    will use insecure HTTPS or HTTP connections", ""]
    assert f"  * {registry}/default/upstream@{v36}" in tag_lines(described, "3.6")
    assert tag_lines(described, "3.5 (stable)")[0] == f"  tagged from {source_35}"
    assert chapter.ok("describe", "istag/python:3.6").startswith(
        f"Image Name:\t{v36}\nDocker Image:\t{registry}/default/upstream@{v36}\n")

    # 6.7.4: move latest on, then roll it back
    assert chapter.ok("tag", "python:3.6", "python:latest") == (
        f"Tag python:latest set to python@{v36}.\n")
    rolled = chapter.ok("rollback", "python:latest")
    assert rolled.startswith(f"Tag python:latest rolled back from python@{v36} to "
                             f"python@{v35}.\n")
    assert chapter.ok("describe", "istag/python:latest").startswith(f"Image Name:\t{v35}\n")
    assert [line.split()[1] for line in chapter.ok("history", "python:latest",
                                                   "-o", "wide").split("\n")[1:4]] == [
        v35, v36, v35]
    # 6.7.5: remove a tag
    assert chapter.ok("tag", "-d", "python:stable") == "Deleted tag default/python:stable.\n"

    # 6.7.3: a secured registry needs a secret; imports use it for that registry
    private = allow_token_registry
    private_layout, private_built = images(tmp_path / "private", "1")
    private.push(private_layout, "1", "imports/app:1")
    origin = f"{private.host}/imports/app:1"
    refused = chapter("import-image", "app:1", "--from", origin, "--confirm", "--insecure")
    assert refused.code == 0 and "imported with errors" in refused.out
    assert refused.err == f"error: tag 1 failed: 127.0.0.1 denied access to manifest {origin}: " \
                          "HTTP 401\n"
    user, password = private.credentials
    assert chapter.ok("create", "secret", "docker-registry", "private-pull",
                      f"--docker-server={private.host}", f"--docker-username={user}",
                      f"--docker-password={password}") == "secret/private-pull created\n"
    assert chapter.ok("get", "secrets").split("\n")[1].split()[:2] == [
        "private-pull", "kubernetes.io/dockerconfigjson"]
    through = chapter.ok("import-image", "app:1", "--insecure")
    assert through.startswith("imagestream.image.openshift.io/app imported\n\n")
    assert f"Docker Image:\t{private.host}/imports/app@{private_built['1'].digest}" in through

    # sharing: a user, and the service accounts of namespace ci, may pull default's images
    assert chapter.ok("policy", "add-role-to-user", "system:image-puller", "alice") == (
        f'{PULLER} added: "alice"\n')
    assert chapter.ok("policy", "add-role-to-group", "system:image-puller",
                      "system:serviceaccounts:ci") == (
        f'{PULLER} added: "system:serviceaccounts:ci"\n')
    assert chapter.ok("policy", "add-role-to-user", "edit", "-z", "builder", "-n", "ci") == (
        'clusterrole.rbac.authorization.k8s.io/edit added: "builder"\n')
    alice = chapter.ok("create", "token", "--user", "alice").strip()
    builder = chapter.ok("create", "token", "builder", "-n", "ci").strip()
    assert chapter.ok("whoami", "--token", alice) == "alice\n"
    assert chapter.ok("whoami", "--token", builder) == "system:serviceaccount:ci:builder\n"

    # alice reads the tagged image's metadata, pulls it with her token, and cannot tag
    assert chapter.ok("describe", "istag/python:latest", "--token", alice).startswith(
        f"Image Name:\t{v35}\nDocker Image:\t{registry}/default/upstream@{v35}\n")
    pulled = chapter.inspect(f"default/upstream@{v35}", alice)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["config"]["digest"] == built["3.5"].config_blob.digest
    assert chapter.ok("get", "isimage", f"python@{v36[:19]}", "-o", "name",
                      "--token", alice) == f"imagestreamimage.image.openshift.io/python@{v36}\n"
    denied = chapter("tag", "python:3.6", "python:alice", "--token", alice)
    assert (denied.code, denied.out) == (1, "")
    assert denied.err.startswith('Error from server (Forbidden): User "alice" cannot ')
    # builder tags default's image into its own namespace with only system:image-puller
    # in default, and cannot tag in default
    assert chapter.ok("-n", "ci", "tag", "default/python:latest", "app:prod",
                      "--token", builder) == f"Tag app:prod set to default/python@{v35}.\n"
    assert chapter.ok("describe", "istag/app:prod", "-n", "ci", "--token", builder) \
        .startswith(f"Image Name:\t{v35}\n")
    assert chapter("tag", "python:3.6", "python:ci", "--token", builder).code == 1

    # and taking the role back takes the access back
    assert chapter.ok("policy", "remove-role-from-user", "system:image-puller", "alice") == (
        f'{PULLER} removed: "alice"\n')
    gone = chapter("describe", "istag/python:latest", "--token", alice)
    assert gone.code == 1 and gone.err.startswith("Error from server (Forbidden)")
    refused_pull = chapter.inspect(f"default/upstream@{v35}", alice)
    assert refused_pull.returncode != 0 and "unauthorized" in refused_pull.stderr.lower(), \
        refused_pull.stderr
