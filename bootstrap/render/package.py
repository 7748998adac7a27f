"""One package a bootstrap step installs, and how each package manager spells its version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PkgFamily = Literal["dnf", "apt"]


@dataclass(frozen=True)
class Package:
    """One package; `version` None = whatever the image's repos carry (OS base tools only).

    A version is the repository's exact version string, epoch included where the package has
    one (apt matches `=VERSION` against the whole string: `=4.4.2-1` never finds `1:4.4.2-1`).
    On the check side a version without an epoch matches any epoch, as dnf's specs do.
    A version ending in `-*` is an upstream version with any packaging revision (apt and dnf
    both take that glob), for packages whose revision depends on who built them (Slurm).
    """

    name: str
    version: str | None = None

    def spec(self, family: PkgFamily) -> str:
        """The install argument: dnf takes name-[epoch:]version-release, apt name=version."""
        if self.version is None:
            return self.name
        return f"{self.name}-{self.version}" if family == "dnf" else f"{self.name}={self.version}"


def plain_packages(*names: str) -> list[Package]:
    """OS base packages, unpinned (the image's own repos decide the version)."""
    return [Package(n) for n in names]
