"""`make run`'s registry takes the service's own tokens, as OpenShift's integrated one does.

skopeo logs in with a token and pushes as a user who may push to the namespace (the push
then moves the tag through the registry's notification, which the service reads back with
a token it signs itself, as it reads an import from the registry), and is refused as a
viewer there, as a user of another namespace, and anonymously: none of those pushes makes
a stream. Pulls follow the pull right.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testbed.local_stack import RunningStack, start_stack, wait_for  # noqa: F401 (a fixture)
from testbed.oci_layout import OciLayout

TEAM, ELSEWHERE = "team", "elsewhere"
REFUSED = ("denied", "unauthorized", "authentication required")


def skopeo(authfile: Path, *arguments: str) -> subprocess.CompletedProcess:
    """skopeo with an auth file of the test's own, never the user's."""
    return subprocess.run(["skopeo", "--insecure-policy", *arguments[:1], "--authfile",
                           str(authfile), *arguments[1:]],
                          capture_output=True, text=True, timeout=120)


def push(stack: RunningStack, authfile: Path, layout: OciLayout, destination: str,
         token: str | None) -> subprocess.CompletedProcess:
    """Copy `layout`'s v1 to `<registry>/<destination>`: with `token` as the password,
    with the auth file's login when "login", anonymously when None."""
    credentials = ([] if token == "login" else ["--dest-no-creds"] if token is None
                   else [f"--dest-creds=anything:{token}"])
    return skopeo(authfile, "copy", "--quiet", "--dest-tls-verify=false", *credentials,
                  f"oci:{layout.path}:v1", f"docker://{stack.endpoint['registry']}/{destination}")


def inspect(stack: RunningStack, authfile: Path, repository: str,
            token: str | None) -> subprocess.CompletedProcess:
    credentials = ["--no-creds"] if token is None else [f"--creds=anything:{token}"]
    return skopeo(authfile, "inspect", "--raw", "--tls-verify=false", *credentials,
                  f"docker://{stack.endpoint['registry']}/{repository}")


def refused(result: subprocess.CompletedProcess) -> bool:
    return result.returncode != 0 and any(word in result.stderr.lower() for word in REFUSED)


def test_pushes_and_pulls_need_the_rights_the_service_gives(start_stack, tmp_path):
    stack = start_stack()
    pusher = stack.user_with_role("builder", "admin", TEAM)
    viewer = stack.user_with_role("watcher", "view", TEAM)
    stranger = stack.user_with_role("outsider", "admin", ELSEWHERE)
    layout = OciLayout(tmp_path / "layout")
    image = layout.image([{"app": b"team app"}])
    layout.tag("v1", image)
    authfile = tmp_path / "auth.json"
    authfile.write_text("{}")
    registry = stack.endpoint["registry"]

    # skopeo login checks the token with the token endpoint; a wrong one is refused.
    bad = skopeo(authfile, "login", "--tls-verify=false", "-u", "anything", "-p",
                 pusher + "x", registry)
    assert bad.returncode != 0 and "invalid username/password" in bad.stderr.lower(), bad.stderr
    login = skopeo(authfile, "login", "--tls-verify=false", "-u", "anything", "-p", pusher,
                   registry)
    assert login.returncode == 0, login.stderr
    assert registry in json.loads(authfile.read_text())["auths"]

    # Allowed: the push lands and its notification moves the tag.
    pushed = push(stack, authfile, layout, f"{TEAM}/app:v1", "login")
    assert pushed.returncode == 0, pushed.stderr
    api = f"{stack.endpoint['api']}/apis/image.openshift.io/v1/namespaces/{TEAM}"
    wait_for(lambda: stack.http.get(f"{api}/imagestreamtags/app:v1", timeout=30).json()
             .get("image", {}).get("metadata", {}).get("name") == image.manifest.digest,
             "the push moved team/app:v1", stack)
    skopeo(authfile, "logout", registry)
    # An import from the registry: the service reads it with a token it signs itself.
    imported = stack.http.put(f"{api}/imagestreamtags/copy:v1", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "tag": {
            "from": {"kind": "DockerImage", "name": f"{registry}/{TEAM}/app:v1"},
            "importPolicy": {"insecure": True}}}, timeout=60)
    assert imported.status_code == 201, imported.text
    wait_for(lambda: stack.http.get(f"{api}/imagestreamtags/copy:v1", timeout=30).json()
             .get("image", {}).get("metadata", {}).get("name") == image.manifest.digest,
             "the import from the registry tagged copy:v1", stack)

    # Refused: a viewer of the namespace, a user of another namespace, anyone anonymous.
    for who, token in (("viewer", viewer), ("stranger", stranger), ("anonymous", None)):
        stream = f"from-{who}"
        result = push(stack, authfile, layout, f"{TEAM}/{stream}:v1", token)
        assert refused(result), (who, result.returncode, result.stderr)
        assert stack.http.get(f"{api}/imagestreams/{stream}", timeout=30).status_code == 404, who

    # Pulls: the viewer may, the stranger and anyone anonymous may not.
    pulled = inspect(stack, authfile, f"{TEAM}/app:v1", viewer)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["config"]["digest"] == image.config_blob.digest
    for token in (stranger, None):
        assert refused(inspect(stack, authfile, f"{TEAM}/app:v1", token))
