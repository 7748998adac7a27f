"""gpufleet policies: plain rule functions (`rules.py`), a known-compatible version matrix
(`compat.py`), an offline runner over plan manifests (`offline.py`) and the Pulumi policy pack
(`__main__.py`, never imported by tests)."""
