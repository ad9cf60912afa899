"""Any other site: every link of the page, same registered domain (checked by the crawler),
content pages only (no login/search/feed pages, no media files)."""

from __future__ import annotations

from crawlers.profiles.base import Profile


class GenericProfile(Profile):
    name = "generic"
    priority = 1000


PROFILE = GenericProfile()
