"""`isctl describe`: oc's per-tag layout (order, aliases, sources, conditions, history)."""
from __future__ import annotations

from datetime import UTC, datetime

from isctl.describe import describe_image, describe_stream

from .conftest import Isctl, digest, mapping
from .test_python_scenario import fields

NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


def push(isctl: Isctl, tag: str, char: str, stream: str = "app") -> None:
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping(stream, tag, digest(char), f"quay.io/org/app@{digest(char)}"))


def tag_blocks(text: str) -> list[list[str]]:
    """The per-tag blocks after the header, as lists of lines."""
    body = text.split("\n\n", 1)[1].rstrip("\n")
    blocks, current = [], []
    for line in body.split("\n"):
        if line and not line.startswith(" "):
            if current:
                blocks.append(current)
            current = [line]
        elif line:
            current.append(line)
    return blocks + [current]


def test_order_aliases_sources_and_history(isctl: Isctl):
    isctl.api("POST", "/namespaces/default/imagestreams",
              {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
               "metadata": {"name": "app", "labels": {"team": "web", "app": "shop"},
                            "annotations": {"description": "The shop", "owner": "web"}}})
    for tag, char in (("1.9", "a"), ("2.0", "b"), ("1.10", "c"), ("dev", "d")):
        push(isctl, tag, char)
    # 2.0 gets a spec tag (aliases group only under a tag with a real source)
    isctl.ok("tag", f"app@{digest('b')}", "app:2.0")
    isctl.later(600)
    push(isctl, "2.0", "e")
    isctl.ok("tag", "--alias", "app:2.0", "app:latest")
    isctl.ok("tag", "--alias", "app:2.0", "app:stable")
    isctl.ok("tag", "--alias", "app:stable", "app:prod")  # an alias of an alias
    isctl.ok("tag", "docker.io/library/nginx:1", "app:nginx", "--reference", "--insecure",
             "--reference-policy", "local")
    isctl.ok("tag", "docker.io/library/redis:7", "app:redis")  # import fails: no registry client
    isctl.later(90)
    text = isctl.ok("describe", "is", "app")
    header = fields(text.split("\n\n")[0])
    assert header[:5] == [["Name:", "app"], ["Namespace:", "default"],
                          ["Created:", "11 minutes ago"], ["Labels:", "app=shop"],
                          ["", "team=web"]]
    assert header[5:7] == [["Description:", "The shop"], ["Annotations:", "owner=web"]]
    assert ["Unique Images:", "6"] in header  # five images, and pull specs counted once
    assert ["Tags:", "9"] in header  # aliases count, though they share a block
    blocks = tag_blocks(text)
    assert [block[0] for block in blocks] == [
        "2.0 (latest, prod, stable)", "1.10", "1.9", "dev", "nginx", "redis"]
    assert blocks[0] == ["2.0 (latest, prod, stable)", f"  tagged from app@{digest('b')}",
                         f"  * quay.io/org/app@{digest('e')}", "      About a minute ago",
                         f"    quay.io/org/app@{digest('b')}", "      11 minutes ago"]
    assert blocks[4] == ["nginx", "  reference to registry docker.io/library/nginx:1",
                         "    will use insecure HTTPS or HTTP connections",
                         "    prefer registry pullthrough when referencing this tag",
                         "  * docker.io/library/nginx:1", "      About a minute ago"]
    assert blocks[5][:2] == ["redis", "  tagged from docker.io/library/redis:7"]
    assert blocks[5][2].startswith("  ! error: Import failed (")
    assert blocks[5][3] == "      About a minute ago"


def test_aliases_of_a_pushed_tag_are_listed_apart():
    # oc follows an alias to a tag without a spec tag, finds none, and shows both
    spec = [{"name": "latest", "from": {"kind": "ImageStreamTag", "name": "1"}}]
    status = [{"tag": t, "items": [{"created": "2026-01-10T11:00:00Z", "image": digest("a"),
                                     "dockerImageReference": f"q.io/x@{digest('a')}"}]}
              for t in ("1", "latest")]
    blocks = tag_blocks(describe_stream(stream(status, spec), NOW))
    assert [b[:2] for b in blocks] == [["latest", "  tagged from 1"], ["1", "  no spec tag"]]


def test_describe_several_and_errors(isctl: Isctl):
    for name in ("one", "two"):
        isctl.api("POST", "/namespaces/default/imagestreams",
                  {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                   "metadata": {"name": name}})
    both = isctl.ok("describe", "is")
    assert both.count("Name:") == 2 and "\n\n\nName:" in both
    assert "Tags:\t\t\t<none>" in both
    result = isctl("describe", "is/ghost")
    assert (result.code, result.err) == (
        1, 'Error from server (NotFound): imagestreams.image.openshift.io "ghost" not found\n')
    result = isctl("describe", "istag/one")
    assert result.err == 'error: expected exactly one : delimiter in the istag "one"\n'
    result = isctl("describe", "istag/one@sha256:abc")
    assert result.err == ('error: "one@sha256:abc" is an image stream image, not an image '
                          "stream tag\n")


def test_describe_isimage_and_image(isctl: Isctl):
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "app"}}')
    push(isctl, "1", "a")
    by_prefix = fields(isctl.ok("describe", f"isimage/app@{digest('a')[:15]}"))
    assert by_prefix[0] == ["Image Name:", digest("a")]
    assert ["Layer Size:", "0 B"] in by_prefix and ["Command:", "<none>"] in by_prefix
    image = fields(isctl.ok("describe", "image", digest("a")))
    assert image[0] == ["Docker Image:", f"quay.io/org/app@{digest('a')}"]


def stream(tags: list[dict], spec: list[dict]) -> dict:
    return {"metadata": {"name": "s", "namespace": "ns"}, "spec": {"tags": spec},
            "status": {"dockerImageRepository": "", "tags": tags}}


def test_importing_and_failed_import_lines():
    spec = [{"name": "a", "from": {"kind": "DockerImage", "name": "quay.io/x/a:1"},
             "generation": 3, "importPolicy": {"scheduled": True}},
            {"name": "b", "from": {"kind": "ImageStreamTag", "name": "s:a", "namespace": "other"},
             "reference": True},
            {"name": "c", "from": {"kind": "ImageStreamImage", "name": "s@sha256:1"}}]
    status = [{"tag": "a", "items": [{"created": "2026-01-10T11:00:00Z", "generation": 2,
                                      "dockerImageReference": "quay.io/x/a:1",
                                      "image": digest("f")}],
               "conditions": [{"type": "ImportSuccess", "status": "False", "reason": "NotFound",
                               "message": "manifest unknown", "generation": 2,
                               "lastTransitionTime": "2026-01-10T11:55:00Z"}]}]
    text = describe_stream(stream(status, spec), NOW)
    assert "Image Repository:\t<none>\n" in text
    blocks = tag_blocks(text)
    assert blocks[0] == [
        "a", "  updates automatically from registry quay.io/x/a:1",
        "  ~ importing latest image ...",
        "  ! error: Import failed (NotFound): manifest unknown", "      5 minutes ago",
        "  * quay.io/x/a:1", f"      About an hour ago\t{digest('f')}"]
    assert blocks[1] == ["b", "  reference to other/s:a"]
    assert blocks[2] == ["c", "  tagged from s@sha256:1"]


def test_image_with_manifest_list_and_volumes():
    image = {"metadata": {"name": digest("9"), "labels": {"l": "1"}},
             "dockerImageReference": f"quay.io/x@{digest('9')}",
             "dockerImageManifests": [
                 {"digest": digest("1"), "os": "linux", "architecture": "amd64"},
                 {"digest": digest("2"), "os": "linux", "architecture": "arm64",
                  "variant": "v8"}],
             "dockerImageMetadata": {"Config": {"Volumes": {"/b": {}, "/a": {}},
                                                "Cmd": ["run"]}}}
    lines = fields(describe_image(image, "x:1", NOW))
    assert lines[:4] == [["Image Name:", "x:1"], ["Docker Image:", f"quay.io/x@{digest('9')}"],
                         ["Name:", digest("9")], ["Labels:", "l=1"]]
    assert ["Manifests:", digest("1"), "linux/amd64"] in lines
    assert ["", digest("2"), "linux/arm64/v8"] in lines
    assert lines[-2:] == [["Volumes:", "/a"], ["", "/b"]]
    assert ["Image Created:", "<none>"] in lines
