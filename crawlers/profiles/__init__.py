"""Site profiles, one module each: adding a profile is adding one file that defines ``PROFILE``.

``profile_for(url)`` picks by URL (host or first path segment); ``sniff_profile(html)`` recognises
a root page on an unknown host; ``get_profile(name)`` looks one up by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from crawlers.profiles.base import Profile

__all__ = ["Profile", "all_profiles", "generic_profile", "get_profile", "profile_for", "sniff_profile"]


@cache
def all_profiles() -> tuple[Profile, ...]:
    """Every ``PROFILE`` in this package, by priority (generic last)."""
    found: list[Profile] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name == "base" or mod.name.endswith("_facts"):  # fact readers: crawlers.facts
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        profile = getattr(module, "PROFILE", None)
        if isinstance(profile, Profile):
            found.append(profile)
    return tuple(sorted(found, key=lambda p: (p.priority, p.name)))


def get_profile(name: str) -> Profile:
    for p in all_profiles():
        if p.name == name:
            return p
    known = ", ".join(p.name for p in all_profiles())
    raise ValueError(f"unknown site profile {name!r} (known: {known})")


def generic_profile() -> Profile:
    return get_profile("generic")


def profile_for(url: str) -> Profile:
    """The first profile that claims ``url``, else the generic one."""
    for p in all_profiles():
        if p.name != "generic" and p.matches(url):
            return p
    return generic_profile()


def sniff_profile(html: str) -> Profile | None:
    """A specific profile recognised from a page's HTML, or None."""
    for p in all_profiles():
        if p.name != "generic" and p.sniff(html):
            return p
    return None
