"""`python -m etl`: the analyst's commands. A thin layer over library functions that tests call directly.

Each module adds its commands to `main` (etl/cli/common.py) when it is imported; what a command needs beyond
the command line (analysis, access, operations, the loaders) it imports when it runs."""
from etl.cli import accounts, demo, exports, housekeeping, loads, outcomes
from etl.cli.common import main

COMMANDS = (accounts, demo, exports, housekeeping, loads, outcomes)   # imported for the commands they add
__all__ = ["main"]
