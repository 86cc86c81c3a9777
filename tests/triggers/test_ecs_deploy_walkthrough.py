"""The ECS example's walkthrough (examples/ecs_deploy_on_tag/README.md), command by command
in bash against a local stack of its own (`make run`), its output compared with the
README's: a skopeo push moves `prod`, the message reaches the deployer through the
trigger, and the emulator's ECS service runs a revision pinned to the new digest; a second
push and a rollback deploy in turn.

Only the stack's state directory and the demo image's directory differ from the README's
commands; in the output, ports, event ids, uids, times, ages and sequence numbers, which
differ from run to run, are compared as placeholders.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from testbed.local_stack import RunningStack, start_stack  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "examples" / "ecs_deploy_on_tag" / "README.md"
SECTION = "## Walkthrough on `make run`"
STEP = "=== walkthrough step {}"
VARYING = [  # what differs between runs, most specific first
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<event id>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b"), "<time>"),
    (re.compile(r"\b\d{21,40}\b"), "<sequence>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    # every form go-units' HumanDuration gives an age under an hour
    (re.compile(r"\b(Less than a second|About a minute|\d+ (second|minute)s?) ago\b"),
     "<age> ago"),
]


def walkthrough_steps() -> list[tuple[str, str | None]]:
    """(commands, the output the README shows for them, if it shows one) of each step."""
    section = README.read_text().split(SECTION, 1)[1]
    blocks = re.findall(r"```(sh|text)\n(.*?)```", section, re.S)
    steps: list[tuple[str, str | None]] = []
    for kind, body in blocks:
        if kind == "sh":
            steps.append((body, None))
        else:
            assert steps and steps[-1][1] is None, "an output block follows its commands"
            steps[-1] = (steps[-1][0], body)
    return steps


def normalized(output: str) -> str:
    for pattern, placeholder in VARYING:
        output = pattern.sub(placeholder, output)
    return output.strip()


def script(steps: list[tuple[str, str | None]], state: Path, image: Path) -> str:
    """The README's commands, pointed at this stack's state and a directory of the test's."""
    text = "\n".join(f"echo '{STEP.format(number)}'\n{commands}"
                     for number, (commands, _) in enumerate(steps))
    for readme, here in (("ENDPOINT=.local/endpoint.json", f"ENDPOINT={state}/endpoint.json"),
                         (".local/demo-image", str(image))):
        assert readme in text, readme
        text = text.replace(readme, here)
    assert ".local/" not in text  # nothing else of the developer's own stack is touched
    return "set -euo pipefail\n" + text


def test_the_readme_walkthrough_deploys_each_move_to_the_emulators_ecs(start_stack, tmp_path):
    stack: RunningStack = start_stack()
    steps = walkthrough_steps()
    assert len(steps) == 6 and all(output is not None for _, output in steps[1:])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    ran = subprocess.run(["bash", "-c", script(steps, Path(stack.env["LOCAL_STATE_DIR"]),
                                                tmp_path / "demo-image")],
                         cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}\n{stack.log()}"
    outputs = re.split(r"=== walkthrough step \d+\n", ran.stdout)[1:]
    assert len(outputs) == len(steps), ran.stdout
    for number, ((commands, expected), output) in enumerate(zip(steps, outputs)):
        if expected is not None:
            assert normalized(output) == normalized(expected), (number, commands, output)
    # The message went the whole way: make run's demo queue logged it too.
    assert "Created default/web:prod" in stack.log()
