"""`generation: 0` on a spec tag, as `oc tag` and `oc import-image` send it, imports again.

Over HTTP on both stores, against Debian's distribution registry on loopback: a new image
pushed with skopeo under the same tag is picked up by the re-import, and not before.
"""
from __future__ import annotations

from testbed.oci_layout import OciLayout
from tests.api.conftest import Api, ns_path

from .conftest import Images, push_fresh


def tag_body(reference: str, generation: int | None = None) -> dict:
    tag: dict = {"from": {"kind": "DockerImage", "name": reference},
                 "importPolicy": {"insecure": True}}
    if generation is not None:
        tag["generation"] = generation
    return {"kind": "ImageStreamTag", "tag": tag}


def history(api: Api, stream: str) -> list[tuple[str, int]]:
    [status] = api.get(ns_path("imagestreams", stream)).data["status"]["tags"]
    return [(item["image"], item["generation"]) for item in status["items"]]


def test_generation_zero_imports_the_tag_again(api: Api, images: Images,
                                               layout: OciLayout) -> None:
    registry = images.plain
    reference = f"{registry.host}/generation/zero:1"
    first = push_fresh(registry, layout, "generation/zero:1")
    created = api.put(ns_path("imagestreamtags", "app:1"), tag_body(reference))
    assert created.status_code == 201, created.data
    assert history(api, "app") == [(first.digest, 1)]

    second = push_fresh(registry, layout, "generation/zero:1")
    unchanged = api.put(ns_path("imagestreamtags", "app:1"), tag_body(reference))
    assert unchanged.data["image"]["metadata"]["name"] == first.digest  # same spec: no import
    assert api.get(ns_path("imagestreams", "app")).data["metadata"]["generation"] == 1

    again = api.put(ns_path("imagestreamtags", "app:1"), tag_body(reference, generation=0))
    assert again.status_code == 200, again.data
    assert again.data["image"]["metadata"]["name"] == second.digest
    assert again.data["tag"]["generation"] == 2
    assert api.get(ns_path("imagestreams", "app")).data["metadata"]["generation"] == 2
    assert history(api, "app") == [(second.digest, 2), (first.digest, 1)]

    # nothing new in the registry: the head's generation is updated in place
    api.put(ns_path("imagestreamtags", "app:1"), tag_body(reference, generation=0))
    assert history(api, "app") == [(second.digest, 3), (first.digest, 1)]
