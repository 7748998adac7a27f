"""One package a bootstrap step installs, and how each package manager spells its version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PkgFamily = Literal["dnf", "apt"]


@dataclass(frozen=True)
class Package:
    """One package; `version` None = whatever the image's repos carry (OS base tools only)."""

    name: str
    version: str | None = None

    def spec(self, family: PkgFamily) -> str:
        """The install argument: dnf takes name-version, apt name=version (glob on revision)."""
        if self.version is None:
            return self.name
        if family == "dnf":
            return f"{self.name}-{self.version}"
        # apt: an upstream version without a Debian revision matches any revision of it.
        return (
            f"{self.name}={self.version}"
            if "-" in self.version
            else f"{self.name}={self.version}-*"
        )


def plain_packages(*names: str) -> list[Package]:
    """OS base packages, unpinned (the image's own repos decide the version)."""
    return [Package(n) for n in names]
