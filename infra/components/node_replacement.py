"""Replace one node of a cluster network through the program: detach it from its instance pool
with terminate, keeping the pool's size, so OCI launches a fresh node in its place.

pulumi-oci has no resource whose *creation* detaches a pool instance (InstancePoolInstance
attaches), so this is a small dynamic provider around the OCI API call Oracle's own tooling uses
for bad nodes: ComputeManagement DetachInstancePoolInstance with is_auto_terminate=True and
is_decrement_size=False (oci-hpc @ b5285a68 mgmt/lib/ociwrap.py run_terminate uses the same
call with decrement=True to shrink; we keep the size to replace).

The call goes where the stack's own OCI provider goes: the stack's `oci:region` and its
provider settings (`oci:auth`, `oci:configFileProfile`, `oci:tenancyOcid`, `oci:userOcid`,
`oci:fingerprint`, `oci:privateKeyPath`, `oci:privateKey`), never simply the DEFAULT profile of
~/.oci/config. A dynamic provider runs in its own process and sees only its inputs, so the
settings travel as inputs (the private key as a secret).

The resource is keyed by (instance, generation): the same config re-applied changes nothing;
bumping the generation asks again; deleting the entry from config is a no-op.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ResourceProvider

# pulumi-oci provider config keys (pulumi_oci/config/vars.py) -> the input names used here
SETTINGS = {
    "region": "region",
    "auth": "auth",
    "configFileProfile": "config_file_profile",
    "tenancyOcid": "tenancy",
    "userOcid": "user",
    "fingerprint": "fingerprint",
    "privateKeyPath": "key_file",
}
SECRET_SETTINGS = {"privateKey": "key_content", "privateKeyPassword": "pass_phrase"}


class ReplacementSetupError(RuntimeError):
    """The OCI client cannot be built from the stack's settings; says which setting to fix."""


def provider_settings(config: pulumi.Config | None = None) -> dict[str, Any]:
    """The stack's `oci:` provider settings, as inputs of the replacement resource."""
    config = config or pulumi.Config("oci")
    out: dict[str, Any] = {}
    for key, name in SETTINGS.items():
        value = config.get(key)
        if value:
            out[name] = value
    for key, name in SECRET_SETTINGS.items():
        secret = config.get_secret(key)
        if secret is not None:
            out[name] = secret
    return out


def _api_key_config(settings: dict[str, Any]) -> dict[str, Any]:
    """oci-go-sdk / terraform-provider-oci order: explicit provider settings win, the rest
    comes from the named profile of the OCI config file (default DEFAULT)."""
    import oci

    names = ("tenancy", "user", "fingerprint", "key_file", "key_content", "pass_phrase")
    explicit = {k: settings[k] for k in names if settings.get(k)}
    profile = settings.get("config_file_profile") or oci.config.DEFAULT_PROFILE
    try:
        config = dict(oci.config.from_file(profile_name=profile))
    except (oci.exceptions.ConfigFileNotFound, oci.exceptions.ProfileNotFound):
        if settings.get("config_file_profile"):
            raise ReplacementSetupError(
                f"oci:configFileProfile is {profile!r}, but ~/.oci/config has no such profile; "
                "fix the profile name or set oci:tenancyOcid/userOcid/fingerprint/privateKeyPath"
            ) from None
        config = {}
    config.update(explicit)
    if "key_content" in explicit:
        config.pop("key_file", None)
    config["region"] = settings["region"]
    try:
        oci.config.validate_config(config)
    except oci.exceptions.InvalidConfig as exc:
        raise ReplacementSetupError(
            f"the stack's OCI settings are incomplete for API-key auth ({exc}); set them like "
            "the provider's: pulumi config set oci:tenancyOcid ... (or oci:configFileProfile)"
        ) from None
    return config


def compute_management_client(settings: dict[str, Any], **client_kwargs: Any) -> Any:
    """An `oci.core.ComputeManagementClient` for the stack's region and credentials."""
    try:
        import oci  # the OCI SDK: only needed at `pulumi up`, never for plans
    except ImportError as exc:  # pragma: no cover - depends on the user's environment
        raise ReplacementSetupError(
            "replacing cluster-network nodes needs the OCI Python SDK: "
            "pip install 'gpufleet[cloud]'"
        ) from exc
    region = settings.get("region")
    if not region:
        raise ReplacementSetupError(
            "the stack has no oci:region; set it: pulumi config set oci:region us-ashburn-1"
        )
    auth = str(settings.get("auth") or "ApiKey").lower()
    if auth == "apikey":
        return oci.core.ComputeManagementClient(_api_key_config(settings), **client_kwargs)
    if auth == "instanceprincipal":
        signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        return oci.core.ComputeManagementClient({"region": region}, signer=signer, **client_kwargs)
    raise ReplacementSetupError(
        f"oci:auth {settings.get('auth')!r} is not supported for node replacement; "
        "use ApiKey or InstancePrincipal"
    )


def detach_with_terminate(client: Any, pool_ids: list[str], instance_id: str, token: str) -> str:
    """Detach `instance_id` from whichever of `pool_ids` holds it, terminating it and keeping
    the pool's size; returns that pool's id. `token` makes a retried call a no-op for OCI."""
    import oci

    for pool_id in pool_ids:
        try:
            client.get_instance_pool_instance(pool_id, instance_id)
        except oci.exceptions.ServiceError as exc:
            if exc.status == 404:
                continue
            raise
        details = oci.core.models.DetachInstancePoolInstanceDetails(
            instance_id=instance_id, is_auto_terminate=True, is_decrement_size=False
        )
        client.detach_instance_pool_instance(pool_id, details, opc_retry_token=token)
        return pool_id
    raise RuntimeError(
        f"{instance_id} is in none of this pool's cluster networks; remove it from "
        "replace_nodes (it may already have been replaced)"
    )


def retry_token(instance_id: str, generation: int) -> str:
    """One idempotency token per request (OCI: at most 64 characters)."""
    return f"gpufleet-{instance_id[-40:]}-{generation}"[-64:]


class _DetachWithTerminate(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = compute_management_client(dict(props.get("oci") or {}))
        instance_id, generation = props["instance_id"], int(props["generation"])
        detach_with_terminate(
            client,
            list(props["instance_pool_ids"]),
            instance_id,
            retry_token(instance_id, generation),
        )
        # state keeps no key material: the secret settings are inputs only
        settings = {k: v for k, v in (props.get("oci") or {}).items()
                    if k not in SECRET_SETTINGS.values()}  # fmt: skip
        return CreateResult(id_=f"{instance_id}@{generation}", outs={**props, "oci": settings})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # the node is already gone; forgetting the request is all there is to do


class NodeReplacement(pulumi.dynamic.Resource):
    """A request to replace `instance_id`, found in one of `instance_pool_ids` (generation N)."""

    def __init__(
        self,
        name: str,
        instance_pool_ids: pulumi.Input[list[Any]],
        instance_id: str,
        generation: int,
        oci_settings: dict[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _DetachWithTerminate(),
            name,
            {
                "instance_pool_ids": instance_pool_ids,
                "instance_id": instance_id,
                "generation": generation,
                "oci": oci_settings or {},
            },
            opts,
        )
