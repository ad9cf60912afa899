"""The offline demo: roots on the bundled fixture site."""

from __future__ import annotations

DEMO_PATHS = ("/wiki/index.html", "/arxiv/list/cs.CL/new.html", "/github/acme/widgetflow/index.html")


def demo_roots(base_url: str) -> list[str]:
    """The demo's root URLs on a running fixture-site server."""
    return [base_url.rstrip("/") + p for p in DEMO_PATHS]
