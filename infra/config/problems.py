"""One config problem = key path + bad value + what is allowed + how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "gpufleet"


@dataclass(frozen=True, order=True)
class Problem:
    key: str  # e.g. "gpufleet:pools[1].shape"
    value: str  # the bad value as written (show()), or "(missing)"
    message: str  # what is wrong and what is allowed
    fix: str  # the action that fixes it

    def render(self) -> str:
        return f"{self.key} = {self.value}: {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    """A stack config that must not be deployed; carries every problem found."""

    def __init__(self, problems: list[Problem], source: str = "stack config") -> None:
        self.problems = sorted(set(problems))
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''} found, nothing was deployed"
        return "\n".join([head, *("- " + p.render() for p in self.problems)])


def key_path(loc: tuple[str | int, ...]) -> str:
    """('pools', 1, 'shape') -> 'gpufleet:pools[1].shape'."""
    out = NAMESPACE + ":"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if i else "") + part
    return out


def show(value: object) -> str:
    """A bad value, quoted and shortened so one message stays one screen line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
