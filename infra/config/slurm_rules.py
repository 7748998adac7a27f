"""Cross-field rules of the `gpufleet:slurm` section, run on the raw mapping like `rules.py`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from infra.config.problems import Problem, key_path, show


def _slurm(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    section = raw.get("slurm")
    return section if isinstance(section, Mapping) else {}


def _partitions(raw: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    parts = _slurm(raw).get("partitions")
    if not isinstance(parts, list):
        return []
    return [(i, p) for i, p in enumerate(parts) if isinstance(p, Mapping)]


def partition_pools_exist(raw: Mapping[str, Any]) -> Iterator[Problem]:
    pools = raw.get("pools")
    known = (
        {p.get("name") for p in pools if isinstance(p, Mapping)}
        if isinstance(pools, list)
        else set()
    )
    for i, part in _partitions(raw):
        listed = part.get("pools")
        for j, name in enumerate(listed if isinstance(listed, list) else []):
            if name not in known:
                yield Problem(
                    key_path(("slurm", "partitions", i, "pools", j)),
                    show(name),
                    f"no pool by this name; pools: {', '.join(sorted(str(k) for k in known))}",
                    "list pool names from gpufleet:pools",
                )


def one_default_partition(raw: Mapping[str, Any]) -> Iterator[Problem]:
    defaults = [i for i, p in _partitions(raw) if p.get("default") is True]
    for i in defaults[1:]:
        yield Problem(
            key_path(("slurm", "partitions", i, "default")),
            "True",
            f"a second default partition; partitions[{defaults[0]}] is already the default",
            "mark exactly one partition default: true",
        )


def unique_partition_names(raw: Mapping[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, part in _partitions(raw):
        name = part.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Problem(
                key_path(("slurm", "partitions", i, "name")),
                show(name),
                f"duplicate partition name; partitions[{seen[name]}] already uses it",
                "give every partition a unique name",
            )
        seen.setdefault(name, i)


def srun_port_range(raw: Mapping[str, Any]) -> Iterator[Problem]:
    section = _slurm(raw)
    first, last = section.get("srun_port_first", 60001), section.get("srun_port_last", 63000)
    if isinstance(first, int) and isinstance(last, int) and first > last:
        yield Problem(
            key_path(("slurm", "srun_port_last")),
            show(last),
            f"below srun_port_first ({first}): the srun port range would be empty",
            "set srun_port_last above srun_port_first (Slurm's SrunPortRange=FIRST-LAST)",
        )
    if isinstance(first, int) and isinstance(last, int) and first <= 6819 <= last:
        yield Problem(
            key_path(("slurm", "srun_port_first")),
            show(first),
            "the srun port range covers Slurm's daemon ports 6817-6819",
            "move the range above them, e.g. 60001-63000",
        )


def backup_needs_shared_state(raw: Mapping[str, Any]) -> Iterator[Problem]:
    controller = _slurm(raw).get("controller")
    if not isinstance(controller, Mapping) or controller.get("backup") is not True:
        return
    storage = raw.get("storage")
    if isinstance(storage, Mapping) and isinstance(storage.get("file_system"), Mapping):
        return
    # slurm.conf(5) StateSaveLocation: with a backup controller it must be shared by both.
    yield Problem(
        key_path(("slurm", "controller", "backup")),
        "True",
        "a backup controller needs StateSaveLocation on storage both controllers mount",
        "add gpufleet:storage.file_system (its mount holds the state), or set backup: false",
    )


RULES = (
    partition_pools_exist,
    one_default_partition,
    unique_partition_names,
    srun_port_range,
    backup_needs_shared_state,
)
