"""crawlqa: pipelines."""
