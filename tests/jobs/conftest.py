"""Fixtures of the background-job tests."""

from tests.services.harness import desk

__all__ = ["desk"]
