"""crawlqa: filters."""
