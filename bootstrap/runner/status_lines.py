"""The scripts' machine-readable status lines, one JSON object per stdout line:

    {"step": "install_driver", "status": "changed", "message": "installed 570.172.08",
     "seconds": 41.2}

Any other stdout line is just log. A line that looks like a status object but breaks the
contract (unknown status, missing step) is log too — it never becomes a pass.
"""

from __future__ import annotations

import json

from bootstrap.results import STEP_STATUSES, Status, StepResult


def parse_status_line(line: str) -> StepResult | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    step, status = data.get("step"), data.get("status")
    if not isinstance(step, str) or not step or status not in {str(s) for s in STEP_STATUSES}:
        return None
    seconds = data.get("seconds", 0.0)
    message = data.get("message", "")
    return StepResult(
        step=step,
        status=Status(status),
        message=message if isinstance(message, str) else json.dumps(message),
        seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
    )
