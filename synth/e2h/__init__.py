"""E2HQA: rewrite easy (single-hop) seed questions into hard multi-hop ones, answer unchanged.

Modules: ``engine`` (rounds, checks, lineage), ``clues`` (facts about an entity), ``entities`` (entity
spans in a question), ``writers`` (template and LLM rewriters), ``pages`` (pages from a run or from
HTML files), ``seeds`` (seed files and run records), ``config`` (E2HConfig).
"""

from synth.e2h.engine import (
    REASONS,
    STAGE,
    E2HEngine,
    E2HOutcome,
    E2HWriter,
    LLME2HWriter,
    RoundFailure,
    TemplateE2HWriter,
    failure_reject,
    to_webshaper,
)

__all__ = ["REASONS", "STAGE", "E2HEngine", "E2HOutcome", "E2HWriter", "LLME2HWriter", "RoundFailure",
           "TemplateE2HWriter", "failure_reject", "to_webshaper"]
