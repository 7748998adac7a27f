"""Record what the real program registers under Pulumi's own mock runtime.

`RecordingMocks` answers resource registrations with deterministic ids and answers only the
provider lookups the program is known to make: any other invoke is refused (raises), so a new
lookup can never silently return nothing. `RecordingMonitor` captures the resource options the
mocks API does not show (protect, parent, custom timeouts).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor

UNKNOWN = "<computed>"
# Mock answers for the lookups the program makes, in the provider's camelCase wire format.
FAKE_REGION_KEY = "IAD"
INVOKES: dict[str, dict[str, Any]] = {
    "oci:Identity/getAvailabilityDomains:getAvailabilityDomains": {
        "availabilityDomains": [
            {"name": f"Xxxx:US-ASHBURN-AD-{i}", "id": f"ocid1.availabilitydomain.oc1..ad{i}"}
            for i in (1, 2, 3)
        ]
    },
    "oci:Core/getServices:getServices": {
        "services": [
            {
                "id": "ocid1.service.oc1.iad.allservices",
                "name": f"All {FAKE_REGION_KEY} Services In Oracle Services Network",
                "cidrBlock": f"all-{FAKE_REGION_KEY.lower()}-services-in-oracle-services-network",
            }
        ]
    },
    "oci:ObjectStorage/getNamespace:getNamespace": {"namespace": "example-namespace"},
}


class UnexpectedInvoke(RuntimeError):
    pass


@dataclass
class Registration:
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent_urn: str = ""
    protect: bool = False
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    replacement_trigger: str | None = None  # a change of it replaces the resource
    ignore_changes: tuple[str, ...] = ()  # wire paths the engine diffs against old state
    delete_before_replace: bool = False  # a replacement deletes the old resource first


def _clean(value: Any) -> Any:
    """Unknowns -> sentinel, integral floats (protobuf doubles) -> int, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return UNKNOWN  # pulumi.output.Unknown and friends


class RecordingMocks(Mocks):
    def __init__(self) -> None:
        self.registrations: dict[tuple[str, str], Registration] = {}  # by (type, name)
        self._lock = threading.Lock()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        with self._lock:
            reg = self.registrations.setdefault(
                (args.typ, args.name), Registration(args.typ, args.name, bool(args.custom), {})
            )
            inputs = {k: v for k, v in args.inputs.items() if k != "__provider"}
            # (a dynamic resource's pickled provider is code, not configuration)
            reg.type, reg.custom, reg.inputs = args.typ, bool(args.custom), _clean(inputs)
        if not args.custom:
            return None, {}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        try:
            return INVOKES[args.token], []
        except KeyError:
            raise UnexpectedInvoke(
                f"the offline plan has no answer for lookup {args.token}; add one to "
                "infra/offline/recorder.py INVOKES"
            ) from None


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self._recorder = mocks

    def RegisterResource(self, request: Any) -> Any:
        name = request.name
        timeouts = request.customTimeouts
        with self._recorder._lock:
            reg = self._recorder.registrations.setdefault(
                (request.type, name), Registration(request.type, name, request.custom, {})
            )
            reg.parent_urn = request.parent
            reg.protect = bool(request.protect)
            trigger = request.replacement_trigger
            reg.replacement_trigger = (
                trigger.string_value if request.HasField("replacement_trigger") else None
            )
            reg.ignore_changes = tuple(request.ignoreChanges)
            reg.delete_before_replace = bool(request.deleteBeforeReplace)
            reg.custom_timeouts = {
                k: v
                for k, v in (
                    ("create", timeouts.create),
                    ("update", timeouts.update),
                    ("delete", timeouts.delete),
                )
                if v
            }
        return super().RegisterResource(request)
