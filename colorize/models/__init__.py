"""colorize models live in modules by area: hints.py (hints, events) and runs.py (runs, versions, reviews,
profiles). Import every model here so Django sees them."""

from .hints import *  # noqa: F401,F403
from .interop import *  # noqa: F401,F403
from .runs import *  # noqa: F401,F403
