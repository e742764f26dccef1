"""colorize models live in modules by area: hints.py (hints, events), runs.py (runs, versions, reviews,
profiles) and repair.py (damage scans, repair masks, repaired bases). Import every model here so Django sees them."""

from .adaptation import *  # noqa: F401,F403
from .hints import *  # noqa: F401,F403
from .interop import *  # noqa: F401,F403
from .repair import *  # noqa: F401,F403
from .runs import *  # noqa: F401,F403
