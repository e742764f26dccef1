"""Hints and their event log (issue 4)."""

__all__: list[str] = []
