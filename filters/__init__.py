"""crawlqa: filters — validity checks, MinHash dedup and the closed-book screen.

``build_filters(cfg, links=...)`` returns the validity chain (cheap checks first) for a
``FilterChain``; ``MinHashDeduper`` (``filters.dedup``) and ``ClosedBookScreen``
(``filters.closed_book``) are separate, batch-shaped stages run after it.

Every module of this package that defines a ``@register``-ed ``Filter`` is discovered here, so adding
a filter touches one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from filters.base import REGISTRY, Filter, FilterChain, Verdict, drop
from filters.config import FilterConfig

__all__ = ["Filter", "FilterChain", "FilterConfig", "Verdict", "build_filters", "drop", "registered"]

_NOT_FILTER_MODULES = frozenset({"base", "config", "text", "dedup", "closed_book", "shortcut"})
# Filters the filter stage adds itself (they need the run's search index / browsing env, agents/gate.py):
# not in the registry, but their names may be listed in ``disabled``.
STAGE_FILTERS = frozenset({"shortcut", "replay"})


def _discover() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_") and mod.name not in _NOT_FILTER_MODULES:
            importlib.import_module(f"{__name__}.{mod.name}")


def registered() -> dict[str, type[Filter]]:
    """All known filter classes by name, in chain order."""
    _discover()
    return dict(sorted(REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def build_filters(cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> list[Filter]:
    """The validity chain for ``cfg``, cheap checks first; ``links`` (url -> out-link urls) enables
    the multi-hop link check. Names in ``cfg.disabled`` are left out (an unknown name is an error)."""
    known = registered()
    unknown = set(cfg.disabled) - set(known) - STAGE_FILTERS
    if unknown:
        raise ValueError(f"unknown filter(s) in disabled: {sorted(unknown)}; known: {sorted(known)}")
    chain = []
    for name, cls in known.items():
        if name in cfg.disabled:
            continue
        f = cls.from_config(cfg, links=links)
        if f is not None:
            chain.append(f)
    return chain
