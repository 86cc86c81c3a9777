"""`isctl adm prune images` on the local stack (`make run`): nothing steps the run but the
stack's own table-stream worker, as the stream consumer does in AWS, so a run that ends
proves the chain of steps through the table stream, and isctl's answer is read from it."""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from isctl.cli import main
from testbed.local_stack import RunningStack, start_stack  # noqa: F401 (a fixture)

HISTORY = "abcdef"  # the images web:latest pointed at, oldest first


def digest(char: str) -> str:
    return "sha256:" + char * 64


def isctl(stack: RunningStack, home: Path, capsys: pytest.CaptureFixture, *args: str
          ) -> tuple[int, str, str]:
    """isctl in process, from a directory beside the stack's .local/ (as `make run` leaves
    it), so it finds the stack's endpoint and admin token itself."""
    work = home / "work"
    if not work.exists():
        work.mkdir(parents=True)
        (work / ".local").symlink_to(Path(stack.env["LOCAL_STATE_DIR"]),
                                     target_is_directory=True)
    capsys.readouterr()
    code = main(list(args), env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")},
                cwd=work, stdin=io.StringIO(""))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_prune_run_steps_through_the_stacks_table_stream(
        start_stack: Callable[[], RunningStack],  # noqa: F811 (a fixture)
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stack = start_stack()
    assert isctl(stack, tmp_path, capsys, "create", "imagestream", "web")[0] == 0
    for char in HISTORY:
        mapped = stack.map_image("web", "latest", f"quay.io/shop/web@{digest(char)}")
        assert mapped.status_code == 201, mapped.text
    # Times are whole seconds (as Kubernetes keeps them) and an event of the run's own
    # second is not older than a threshold of 0s: let that second pass.
    time.sleep(1.1)
    prune = ("adm", "prune", "images", "--keep-tag-revisions=2", "--keep-younger-than=0s",
             "--timeout=2m")

    code, out, err = isctl(stack, tmp_path, capsys, *prune)
    assert code == 0, (out, err, stack.log()[-3000:])
    assert "Dry run enabled" in out + err
    assert "would delete 4 history events, 4 images" in out
    history = stack.http.get(stack.api + "/imagestreamtags/web:latest/history?limit=50")
    assert [event["image"] for event in history.json()["items"]] == [
        digest(char) for char in reversed(HISTORY)]

    code, out, err = isctl(stack, tmp_path, capsys, *prune, "--confirm")
    assert code == 0, (out, err, stack.log()[-3000:])
    assert "deleted 4 history events, 4 images" in out
    history = stack.http.get(stack.api + "/imagestreamtags/web:latest/history?limit=50")
    assert [event["image"] for event in history.json()["items"]] == [digest("f"), digest("e")]
    images = stack.endpoint["api"] + "/apis/image.openshift.io/v1/images/"
    assert [stack.http.get(images + digest(char)).status_code for char in HISTORY] == [
        404, 404, 404, 404, 200, 200]
