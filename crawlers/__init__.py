"""crawlqa: crawlers."""
