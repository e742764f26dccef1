"""Runs, versions, reviews, context profiles (issue 5)."""

__all__: list[str] = []
