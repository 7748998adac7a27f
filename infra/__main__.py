"""`pulumi up` / `pulumi preview` entry point (Pulumi.yaml `main: infra/`). Only composes."""

import sys
from pathlib import Path

# The engine runs this file with infra/ as sys.path[0]; the project root must be importable
# too when gpufleet is not pip-installed into the stack's virtualenv.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import main

main()
