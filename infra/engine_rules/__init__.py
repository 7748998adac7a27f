"""What the Pulumi CLI checks before the program runs, re-done small so tests and `gpufleet
validate` fail exactly where `pulumi preview` / `pulumi up` would.

    project.load_project(Pulumi.yaml)         -> Project    (project.go ValidateProject, Validate)
    values.load_stack(Pulumi.<stack>.yaml)    -> StackConfig map as the CLI reads it
    config_set.apply(stack, argv)             -> `pulumi config set [--path] KEY VALUE`
    gate.merge_config(project, stack, name)   -> the config the program receives, or GateError

Each function names the pulumi/pulumi file it follows (read at commit 1b5949891b3c, 2026-08-21).
The messages are the CLI's own, word for word, so a user can search for them.
"""
