"""The node-side health checker: the same facts, checks and gate as `gpufleet health`, run by the
node itself from its ``gpufleet-health.timer``, with the verdict written to
``/var/lib/gpufleet/health.json`` for schedulers and operators (no SSH needed).

    checker.py  runs on the node (stdlib + bootstrap.facts + bootstrap.health.checks + the shape
                catalog only): run each fact COMMAND locally, parse, check, gate, write the JSON.
    zipapp.py   runs at render time: packs checker.py and exactly the modules it imports into a
                deterministic zipapp (``gpufleet-health.pyz``) that the bootstrap script installs.

Why a zipapp: the node has python3 but not gpufleet, and a second (bash) implementation of the
checks would drift from the one `gpufleet health` runs over SSH. Shipping the very modules keeps
one implementation; a zipapp is one file, needs no pip and no network, and stdlib ``zipimport``
runs it on every supported image.

This package imports nothing at import time, so the zipapp's copy can stay minimal.
"""
