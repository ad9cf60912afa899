"""crawlqa: crawlqa."""
__version__ = "0.1.0"
