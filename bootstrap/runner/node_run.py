"""One node, start to verdict: connect (retrying connect-class errors), run the job once,
turn what happened into a `NodeResult`. Never raises: every outcome is a result."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, Status, StepResult
from bootstrap.runner.jobs import Job
from bootstrap.runner.node_output import NodeOutput
from bootstrap.runner.settings import RunSettings
from bootstrap.ssh.connection import Connector
from bootstrap.ssh.errors import CommandError, SshError
from bootstrap.ssh.handshake import Endpoint


@dataclass(frozen=True)
class _Outcome:
    status: Status
    exit_code: int | None = None
    failed_step: str | None = None
    category: str | None = None
    message: str | None = None
    attempts: int = 1


def run_node(
    node: Node,
    job: Job,
    *,
    connector: Connector,
    settings: RunSettings,
    run_id: str,
    run_dir: Path,
    stop: threading.Event,
) -> NodeResult:
    started_at, t0 = time.time(), time.monotonic()
    log_path = run_dir / f"{node.name}.log"
    output = NodeOutput(
        log_path, tail_lines=settings.tail_lines, max_log_bytes=settings.max_log_bytes
    )
    try:
        outcome = _run(node, job, connector, settings, run_id, output, t0, stop)
    except Exception as exc:  # a bug in gpufleet must still give this node a verdict
        output.note(f"internal error: {exc!r}")
        outcome = _Outcome(Status.FAILED, category="internal", message=f"{node.name}: {exc!r}")
    finally:
        output.close()
    return NodeResult(
        node=node.name,
        pool=node.pool,
        host=node.host,
        status=outcome.status,
        exit_code=outcome.exit_code,
        duration=round(time.monotonic() - t0, 3),
        failed_step=outcome.failed_step,
        output_tail=output.tail,
        steps=list(output.steps),
        error_category=outcome.category,
        error_message=outcome.message,
        started_at=started_at,
        log_path=str(log_path),
        attempts=outcome.attempts,
    )


def _run(
    node: Node,
    job: Job,
    connector: Connector,
    settings: RunSettings,
    run_id: str,
    output: NodeOutput,
    t0: float,
    stop: threading.Event,
) -> _Outcome:
    deadline = t0 + settings.deadline
    endpoint = Endpoint(node.name, node.host, node.port, node.user)
    try:
        conn = connector.connect(endpoint, deadline=deadline, stop=stop)
    except SshError as exc:
        output.note(str(exc))
        attempts = int(getattr(exc, "attempts", 1))
        return _Outcome(
            Status.UNREACHABLE, category=exc.category, message=str(exc), attempts=attempts
        )
    with conn:
        if stop.is_set():
            output.note("not started: run interrupted")
            return _Outcome(
                Status.SKIPPED, message="not started: run interrupted", attempts=conn.attempts
            )
        try:
            code = job.execute(
                conn,
                node=node,
                run_id=run_id,
                settings=settings,
                output=output,
                deadline=deadline,
                stop=stop,
            )
        except SshError as exc:
            output.note(str(exc))
            interrupted = isinstance(exc, CommandError) and stop.is_set()
            return _Outcome(
                Status.FAILED,
                failed_step=_first_failed(output.steps),
                category="interrupted" if interrupted else exc.category,
                message=str(exc),
                attempts=conn.attempts,
            )
    return _judge(code, output, node.name, conn.attempts, conn.exit_signal)


def _first_failed(steps: list[StepResult]) -> str | None:
    return next((s.step for s in steps if s.status is Status.FAILED), None)


# What the node's supervisor reported (`bootstrap.runner.remote_command`) -> error category.
_EVENT_CATEGORY = {"locked": "locked", "deadline": "timeout", "signal": "signal"}

# The rendered script's "a step needs a reboot" exit (bootstrap.render.EXIT_CODES).
EXIT_REBOOT = 6


def _judge(
    code: int, output: NodeOutput, name: str, attempts: int, exit_signal: str | None = None
) -> _Outcome:
    steps = output.steps
    failed = next((s for s in steps if s.status is Status.FAILED), None)
    if code == 0 and failed is None:
        changed = any(s.status is Status.CHANGED for s in steps)
        return _Outcome(Status.CHANGED if changed else Status.OK, exit_code=0, attempts=attempts)
    if code == EXIT_REBOOT and failed is None and output.event is None:
        # Changed, not failed: the node finishes by itself after the boot (its resume unit);
        # category "reboot" lists it among the nodes that need attention until then.
        asked = next((s for s in steps if "reboot required: " in s.message), None)
        why = asked.message.split("reboot required: ", 1)[1] if asked else "see its log"
        return _Outcome(
            Status.CHANGED,
            exit_code=code,
            failed_step=None,
            category="reboot",
            message=f"{name}: reboot required by step {asked.step if asked else '?'}: {why}; "
            "with --reboot it reboots and resumes by itself (gpufleet-bootstrap-resume.service); "
            "its state: /var/lib/gpufleet/bootstrap.json",
            attempts=attempts,
        )
    category = "command"
    if output.event is not None:
        what, text = output.event
        category = _EVENT_CATEGORY[what]
        message = f"{name}: {text}"
    elif failed is not None:
        message = f"{name}: step {failed.step} failed: {failed.message} (exit code {code})"
    elif code == -1:
        category = "signal"
        killed_by = f"SIG{exit_signal}" if exit_signal else "a signal"
        message = (
            f"{name}: the remote shell was killed by {killed_by} before reporting an exit status"
        )
    else:
        message = f"{name}: exit code {code}"
    return _Outcome(
        Status.FAILED,
        exit_code=code,
        failed_step=failed.step if failed else None,
        category=category,
        message=message,
        attempts=attempts,
    )
