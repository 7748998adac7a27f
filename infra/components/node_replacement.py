"""Replace one node of a cluster network through the program: detach it from its instance pool
with terminate, keeping the pool's size, so OCI launches a fresh node in its place.

pulumi-oci has no resource whose *creation* detaches a pool instance (InstancePoolInstance
attaches), so this is a small dynamic provider around the OCI API call Oracle's own tooling uses
for bad nodes: ComputeManagement DetachInstancePoolInstance with is_auto_terminate=True and
is_decrement_size=False (oci-hpc @ b5285a68 mgmt/lib/ociwrap.py run_terminate uses the same
call with decrement=True to shrink; we keep the size to replace).

The resource is keyed by (instance, generation): the same config re-applied changes nothing;
bumping the generation asks again; deleting the entry from config is a no-op.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ResourceProvider


class _DetachWithTerminate(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        try:
            import oci  # the OCI SDK: only needed at `pulumi up`, never for plans or tests
        except ImportError as exc:  # pragma: no cover - depends on the user's environment
            raise RuntimeError(
                "replacing cluster-network nodes needs the OCI Python SDK: "
                "pip install 'gpufleet[cloud]'"
            ) from exc
        client = oci.core.ComputeManagementClient(oci.config.from_file())
        instance_id = props["instance_id"]
        # A chunked pool has one instance pool per cluster network: find the one holding it.
        for pool_id in props["instance_pool_ids"]:
            try:
                client.get_instance_pool_instance(pool_id, instance_id)
            except oci.exceptions.ServiceError as exc:
                if exc.status == 404:
                    continue
                raise
            details = oci.core.models.DetachInstancePoolInstanceDetails(
                instance_id=instance_id, is_auto_terminate=True, is_decrement_size=False
            )
            client.detach_instance_pool_instance(pool_id, details)
            return CreateResult(id_=f"{instance_id}@{props['generation']}", outs=props)
        raise RuntimeError(
            f"{instance_id} is in none of this pool's cluster networks; remove it from "
            "replace_nodes (it may already have been replaced)"
        )

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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _DetachWithTerminate(),
            name,
            {
                "instance_pool_ids": instance_pool_ids,
                "instance_id": instance_id,
                "generation": generation,
            },
            opts,
        )
