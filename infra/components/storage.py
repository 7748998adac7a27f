"""Storage: a File Storage export for the shared path and a checkpoint bucket, both optional."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True)
class StorageArgs:
    compartment_id: str
    availability_domain: pulumi.Input[str]
    subnet_id: pulumi.Input[str] | None
    nsg_id: pulumi.Input[str] | None
    clients_cidr: str  # the node subnet: the only NFS clients the export admits
    export_path: str | None  # None: no file system
    bucket_name: str | None  # None: no bucket
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)


class Storage(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpufleet:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Checkpoints and shared data outlive any pool: protected like the pools.
        guarded = pulumi.ResourceOptions(parent=self, protect=args.protect)
        outputs: dict[str, pulumi.Input[str]] = {}
        self.mount_target_ip: pulumi.Output[str] | None = None
        if args.export_path is not None and args.subnet_id is not None:
            import pulumi_oci.filestorage as fss

            fs = fss.FileSystem(
                f"{name}-fs",
                fss.FileSystemArgs(
                    compartment_id=args.compartment_id,
                    availability_domain=args.availability_domain,
                    display_name=f"{name}-fs",
                    freeform_tags=args.tags,
                ),
                opts=guarded,
            )
            mt = fss.MountTarget(
                f"{name}-mt",
                fss.MountTargetArgs(
                    compartment_id=args.compartment_id,
                    availability_domain=args.availability_domain,
                    subnet_id=args.subnet_id,
                    display_name=f"{name}-mt",
                    hostname_label="fss",
                    nsg_ids=[args.nsg_id] if args.nsg_id else None,
                    freeform_tags=args.tags,
                ),
                # "fss" must be unique in its subnet: a replacement deletes the old one first.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
            fss.Export(
                f"{name}-export",
                fss.ExportArgs(
                    export_set_id=mt.export_set_id,
                    file_system_id=fs.id,
                    path=args.export_path,
                    # Only the GPU nodes mount it; root stays root (oci-hpc exports /config with
                    # identity_squash NONE too, so node bootstrap can write as root).
                    export_options=[
                        fss.ExportExportOptionArgs(
                            source=args.clients_cidr,
                            access="READ_WRITE",
                            identity_squash="NONE",
                            require_privileged_source_port=True,
                        )
                    ],
                ),
                opts=child,
            )
            self.mount_target_ip = mt.ip_address
            outputs["file_system_id"] = fs.id
        if args.bucket_name is not None:
            import pulumi_oci.objectstorage as objectstorage

            namespace = objectstorage.get_namespace_output(compartment_id=args.compartment_id)
            bucket = objectstorage.Bucket(
                f"{name}-bucket",
                objectstorage.BucketArgs(
                    compartment_id=args.compartment_id,
                    namespace=namespace.namespace,
                    name=args.bucket_name,
                    access_type="NoPublicAccess",  # never public
                    versioning="Enabled",  # an overwritten checkpoint can be recovered
                    freeform_tags=args.tags,
                ),
                opts=guarded,
            )
            outputs["bucket_name"] = bucket.name
        self.register_outputs(outputs)
