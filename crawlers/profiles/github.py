"""GitHub: repository page → README (on it), releases, issues, contributors, topics, the owner.

Followed on the same host: everything but code browsing, account, settings and activity pages
(``blob``, ``tree``, ``commit(s)``, ``pulls``, ``actions``, ``stargazers``, ``login``...). The
repository facts (stars, forks, topics, languages, latest release) are read by
``crawlers/profiles/github_facts.py``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawlers.profiles.base import Profile
from crawlers.urls import registered_domain

_DENY = frozenset(
    ["blob", "tree", "commit", "commits", "compare", "pulls", "pull", "actions", "security", "pulse", "network", "stargazers", "watchers", "forks", "settings", "login", "logout", "signup", "join", "sessions", "search", "raw", "archive", "edit", "new", "find", "branches", "tags", "blame", "projects", "wiki", "discussions", "sponsors", "marketplace", "notifications", "codespaces", "features", "pricing", "enterprise", "explore", "orgs"]
)


class GithubProfile(Profile):
    name = "github"
    priority = 30
    content_xpaths = ("//main", "//*[@id='js-repo-pjax-container']")

    def matches(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return (registered_domain(host) == "github.com" and host in ("github.com", "www.github.com")) \
            or self.first_segment(url) == "github"

    def sniff(self, html: str) -> bool:
        head = html[:20000]
        return 'content="GitHub"' in head and 'property="og:site_name"' in head

    def follow(self, url: str, page_url: str) -> str | None:
        if not self.same_host(url, page_url):
            return "offsite_section"
        parts = urlsplit(url)
        segments = {s.lower() for s in parts.path.split("/") if s}
        if segments & _DENY:
            return "non_content"
        if parts.query and "tab=" not in parts.query:
            return "non_content"
        return super().follow(url, page_url)


PROFILE = GithubProfile()
