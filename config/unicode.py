"""Lone surrogates: JSON may carry "\\ud800", which Python decodes into a str that no database, file or UTF-8
encoder accepts (UnicodeEncodeError deep in a save). Requests and frames carrying one are refused up front."""


def has_lone_surrogate(value, _depth: int = 0) -> bool:
    """True when any string (or dict key) inside `value` holds a lone UTF-16 surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if _depth > 64:
        return False
    if isinstance(value, dict):
        return any(
            has_lone_surrogate(k, _depth + 1) or has_lone_surrogate(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return any(has_lone_surrogate(item, _depth + 1) for item in value)
    return False
