"""Fixtures of the use-case tests."""

from tests.services.harness import desk

__all__ = ["desk"]
