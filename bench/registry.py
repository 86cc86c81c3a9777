"""The registry side of the benchmarks: a registry that logs requests, and a fast pusher."""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import requests
import yaml

from testbed.oci_layout import BuiltImage, OciLayout
from testbed.registry import SERVICE, RegistryServer

_ACCESS = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (/v2/\S*) HTTP')


class LoggedRegistry(RegistryServer):
    """The tests' registry with its access log on: requests counted by the server."""

    def configure(self) -> Path:
        path = super().configure()
        config = yaml.safe_load(path.read_text())
        config["log"]["accesslog"] = {"disabled": False}
        path.write_text(yaml.safe_dump(config))
        return path

    def logged(self) -> list[tuple[str, str]]:
        time.sleep(0.3)  # let the last lines reach the file
        text = (self.directory / "registry.log").read_text(errors="replace")
        return [(m.group(1), m.group(2)) for m in _ACCESS.finditer(text)]


class Uploader:
    """Pushes images over the registry API (faster than a skopeo process per image)."""

    def __init__(self, registry: LoggedRegistry, layout: OciLayout):
        self.registry, self.layout = registry, layout
        self.http = requests.Session()

    def _auth(self, repository: str) -> dict[str, str]:
        server = self.registry.token_server
        if server is None:
            return {}
        query = urlencode({"service": SERVICE, "scope": f"repository:{repository}:push,pull"})
        answer = self.http.get(f"{server.url}?{query}", auth=self.registry.credentials)
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def push(self, image: BuiltImage, repository: str, tag: str) -> None:
        base = f"http://{self.registry.host}/v2/{repository}"
        headers = self._auth(repository)
        for blob in (image.config_blob, *image.layers):
            started = self.http.post(f"{base}/blobs/uploads/", headers=headers)
            started.raise_for_status()
            location = started.headers["Location"]
            separator = "&" if "?" in location else "?"
            self.http.put(f"{location}{separator}digest={blob.digest}",
                          data=self._bytes(blob.digest),
                          headers={**headers, "Content-Type": "application/octet-stream"}
                          ).raise_for_status()
        self.http.put(f"{base}/manifests/{tag}", data=self._bytes(image.digest),
                      headers={**headers, "Content-Type": image.manifest.media_type}
                      ).raise_for_status()

    def _bytes(self, digest: str) -> bytes:
        return (self.layout.path / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def new_image(layout: OciLayout, label: str) -> BuiltImage:
    return layout.image([{"app/version": f"{label} {time.time_ns()}\n".encode()}])
