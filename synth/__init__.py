"""crawlqa: synth."""
