"""Crawl settings: plain values with polite defaults (the CLI and the job config fill them)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_USER_AGENT = "crawlqa/0.1 (+https://github.com/crawlqa/crawlqa; research QA dataset builder)"


class DomainSettings(BaseModel):
    """Politeness for one host (``[crawl.domains."example.org"]`` in the config file); unset keys
    keep the crawl's own ``concurrency_per_domain`` / ``download_delay``."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int | None = Field(None, ge=1, description="concurrent requests to this host")
    delay: float | None = Field(None, ge=0, description="seconds between requests to this host")


class CrawlConfig(BaseModel):
    """Everything one crawl needs. Limits are exact: see ``crawlers/frontier.py``."""

    model_config = ConfigDict(extra="forbid")

    # limits
    max_depth: int = Field(2, ge=0, description="clicks from the root (root = 0)")
    max_pages_per_root: int = Field(
        200, ge=1, description="fetched HTML pages kept per root (default: max_pages when that is set, else 200)")
    max_pages: int = Field(1000, ge=1, description="fetched HTML pages kept per run")
    allow: list[str] = Field(default_factory=list, description=(
        "URL regular expressions (re.search); when given, only links matching one are followed (roots always are)"))
    deny: list[str] = Field(default_factory=list, description=(
        "URL regular expressions (re.search); links matching one are not followed (roots always are)"))
    sitemap: bool = Field(False, description=(
        "seed each root with the page URLs of its site's /sitemap.xml (as links of the root, depth 1)"))
    allowed_domains: list[str] = Field(
        default_factory=list, description="hosts/domains to stay on; empty = each root's registered domain"
    )
    max_page_bytes: int = Field(5_000_000, ge=1024, description="larger responses are `too_large` rejects")
    max_redirects: int = Field(10, ge=1)
    meta_refresh_max_delay: float = Field(15.0, description="a <meta refresh> up to this delay is a redirect")

    # politeness
    obey_robots: bool = Field(True, description="obey robots.txt")
    autothrottle: bool = Field(True, description="Scrapy AutoThrottle: adapt the delay to the server's latency")
    autothrottle_target_concurrency: float = Field(2.0, gt=0)
    autothrottle_max_delay: float = Field(10.0, gt=0)
    concurrency: int = Field(16, ge=1, description="concurrent requests in all")
    concurrency_per_domain: int = Field(4, ge=1, description="concurrent requests per host")
    download_delay: float = Field(0.25, ge=0, description="seconds between requests to one host")
    domains: dict[str, DomainSettings] = Field(
        default_factory=dict, description="per-host concurrency/delay overrides, keyed by host name")
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = Field(20, gt=0, description="download timeout per request (seconds)")
    retries: int = Field(2, ge=0)

    # HTTP cache (shared by the runs under one output folder)
    http_cache: bool = True
    cache_expiry_seconds: int = Field(7 * 24 * 3600, ge=0, description="0 = never expires")
    cache_gzip: bool = False

    # safety
    allow_private: bool = Field(
        False, description="allow private/loopback/link-local addresses everywhere "
        "(a root on such an address always allows its own host)"
    )
    offline_dns: bool = Field(
        False, description="resolve only IP literals and localhost; any other name is a dns_error "
        "(tests and sealed machines: no DNS packet leaves the host)"
    )

    # extraction
    min_text_chars: int = Field(200, ge=0)
    extract_timeout: float = Field(10, gt=0, description="seconds per page; the worker is killed after")
    extract_workers: int = Field(
        0, ge=0, description="extraction processes; 0 = cores - 1, but at least 2 on a machine with 2+ cores")
    extract_fast: bool = Field(True, description="trafilatura fast mode (no fallback extractors)")

    # site profiles
    profile: str = Field("auto", description="force one profile for every root, or 'auto'")
    profiles: dict[str, str] = Field(default_factory=dict, description="profile per root URL")

    # output and process
    pages_per_shard: int = Field(500, ge=1, description="pages per Parquet shard (rows carry HTML)")
    log_level: str = "INFO"
    run_timeout: float | None = Field(None, description="seconds for the whole crawl subprocess")

    @field_validator("allowed_domains")
    @classmethod
    def _lower_domains(cls, v: list[str]) -> list[str]:
        return [d.strip().lower().lstrip(".") for d in v if d.strip()]

    @field_validator("allow", "deny")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        return v

    @field_validator("domains")
    @classmethod
    def _lower_hosts(cls, v: dict[str, DomainSettings]) -> dict[str, DomainSettings]:
        return {h.strip().lower().rstrip("."): s for h, s in v.items() if h.strip()}

    @model_validator(mode="before")
    @classmethod
    def _one_root_may_use_the_budget(cls, data: object) -> object:
        """``max_pages`` given without ``max_pages_per_root``: one root may use the whole budget."""
        if isinstance(data, dict) and data.get("max_pages_per_root") is None:
            budget = data.get("max_pages")
            if isinstance(budget, int) and not isinstance(budget, bool) and budget >= 1:  # else its own error
                data = {k: v for k, v in data.items() if k != "max_pages_per_root"} | {"max_pages_per_root": budget}
        return data

    def download_slots(self) -> dict[str, dict]:
        """Scrapy's ``DOWNLOAD_SLOTS`` for the per-host overrides (slots are keyed by host name)."""
        slots: dict[str, dict] = {}
        for host, d in self.domains.items():
            slot: dict = {}
            if d.concurrency is not None:
                slot["concurrency"] = d.concurrency
            if d.delay is not None:
                slot["delay"] = d.delay
            if slot:
                slots[host] = slot
        return slots

    def workers(self, cpu_count: int | None) -> int:
        """Number of extraction processes to start."""
        if self.extract_workers:
            return self.extract_workers
        # One core is left to the crawl process from 3 cores up. On 2 cores a single worker idles
        # whenever the crawl process waits on the network or on it, and extraction is the larger
        # share of the CPU: 2 workers let the OS give extraction whatever the crawl leaves
        # (bench/bench_crawl.py: wiki-small 1,500 pages 27.8 s -> 21.6 s on 2 cores).
        cores = cpu_count or 2
        return 1 if cores <= 1 else max(2, cores - 1)
