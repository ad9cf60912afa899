"""Fixtures of the whole-job security tests (shared with ``tests/faults``)."""

from tests.faults.kit import netguard

__all__ = ["netguard"]
