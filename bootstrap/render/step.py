"""What one bootstrap step hands the script: its resources, its action, its template data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bootstrap.render.package import Package


@dataclass
class StepData:
    """One step's rendered inputs; `digest` (sha256 of all but `vars`) is its state stamp.

    `vars` are the values its template section (`templates/steps/<name>.sh.j2`) lays out as
    readonly shell variables; what they mean for the node is already in `params`, `files` or
    `packages`, so they stay out of the stamp.
    """

    name: str
    action: str  # what apply does, used as "would <action>" in --check
    disabled: str = ""  # non-empty: the step reports skipped with this reason
    params: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, str]] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    units_on: list[str] = field(default_factory=list)
    units_off: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"steps/{self.name}.sh.j2"

    def digest(self) -> str:
        blob = json.dumps(
            {
                "params": self.params,
                "files": self.files,
                "packages": [[p.name, p.version] for p in self.packages],
                "units_on": self.units_on,
                "units_off": self.units_off,
                "modules": self.modules,
                "disabled": self.disabled,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()
