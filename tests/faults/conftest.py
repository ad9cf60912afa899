"""Fixtures of the whole-job fault tests (shared with ``tests/security``)."""

from tests.faults.kit import netguard

__all__ = ["netguard"]
