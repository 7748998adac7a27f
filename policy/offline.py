"""Run the policy rules over a `gpufleet plan` manifest, without the Pulumi CLI.

>>> from infra.offline.plan import run_plan
>>> plan = run_plan()
>>> check_manifest(plan.manifest(), plan.config)
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policy import compat
from policy.rules import POLICIES, SOFTWARE_POLICY, Options, Settings, software_compatible


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str
    mandatory: bool

    def __str__(self) -> str:
        level = "mandatory" if self.mandatory else "advisory"
        return f"[{level}] {self.policy}: {self.resource}: {self.message}"


def _venv_torch(pick: Any) -> str | None:
    """software.training.torch when torch is pip-installed (kind venv, the default); a
    container image brings its own torch, so there is nothing to check."""
    tr = pick("training")
    if tr is None:
        return None
    get = tr.get if isinstance(tr, Mapping) else (lambda k: getattr(tr, k, None))
    if (get("kind") or "venv") != "venv" or not get("torch"):
        return None
    return str(get("torch"))


def settings_from(config: Any, manifest: Mapping[str, Any] | None = None) -> Settings:
    """Settings from a StackConfig, a mapping of the same keys, or None (defaults)."""
    if config is None:
        get: Any = lambda key, default=None: default  # noqa: E731
    elif isinstance(config, Mapping):
        get = config.get
    else:
        get = lambda key, default=None: getattr(config, key, default)  # noqa: E731
    sw = get("software")
    software = None
    if sw is not None:
        pick = sw.get if isinstance(sw, Mapping) else (lambda k: getattr(sw, k, None))
        if all(pick(k) for k in ("driver", "cuda", "nccl")):
            software = compat.Software(
                str(pick("driver")), str(pick("cuda")), str(pick("nccl")), _venv_torch(pick)
            )
    names = {}
    for res in (manifest or {}).get("resources", []) if manifest else []:
        if isinstance(res, Mapping) and isinstance(res.get("name"), str):
            names[f"{res['name']}-id"] = res["name"]  # offline plan ids (recorder.py)
    return Settings(
        admin_cidrs=tuple(get("admin_cidrs", ()) or ()),
        vcn_cidr=get("vcn_cidr"),
        min_boot_volume_gb=int(get("min_boot_volume_gb", 0) or 0) or Settings.min_boot_volume_gb,
        protect_pools=bool(get("protect_pools", True)),
        software=software,
        names_by_id=names,
    )


def check_manifest(manifest: Mapping[str, Any], config: Any = None) -> list[Violation]:
    """Every violation in `manifest` (`gpufleet plan --json`), sorted; [] when clean.

    `config` is the StackConfig (or a mapping with admin_cidrs, vcn_cidr, software,
    protect_pools, min_boot_volume_gb). `gpu-pools-protected` is advisory when the stack
    opted out with protect_pools: false; everything else is mandatory.
    """
    settings = settings_from(config, manifest)
    out = []
    for res in manifest.get("resources", []):
        if not isinstance(res, Mapping):
            continue
        rtype, name = str(res.get("type", "")), str(res.get("name", ""))
        props = res.get("inputs") if isinstance(res.get("inputs"), Mapping) else {}
        assert isinstance(props, Mapping)
        opts = Options(name=name, protect=bool(res.get("protect")))
        for policy in POLICIES:
            mandatory = policy.mandatory and not (
                policy.name == "gpu-pools-protected" and not settings.protect_pools
            )
            for message in policy.check(rtype, props, opts, settings):
                out.append(Violation(policy.name, name, message, mandatory))
    for message in software_compatible(settings):
        out.append(Violation(SOFTWARE_POLICY.name, "software", message, True))
    return sorted(out, key=lambda v: (v.policy, v.resource, v.message))
