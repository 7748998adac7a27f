"""Node facts: each observation is a shell COMMAND plus a pure ``parse(text)`` (practice 7).

One module per fact, named for the concept (``gpus``, ``rdma_links``, ``dot1x``, …); the
KIND → (command, parser) table is `bootstrap.facts.registry.FACTS`. Parsers never run anything
and raise only `bootstrap.facts.errors.FactParseError`.
"""

from bootstrap.facts.errors import FactParseError

__all__ = ["FactParseError"]
