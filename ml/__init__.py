"""Find Color model package: user-guided, context-adaptive colorization (pure PyTorch + NumPy, no Django).

from ml import Colorizer, Hint, Context
c = Colorizer.load()
res = c.colorize(gray_uint8, hints=[Hint(0.5, 0.4, "#aa3322")], context=Context(era="korean-war"))
"""

from .colorizer import (
    Cancelled,
    CheckpointError,
    Colorizer,
    ColorizeResult,
    get_colorizer,
    load_checkpoint,
    sha256_file,
)
from .context import Context
from .hints import REACHES, Fence, Hint
from .profiles import Profile, build_profile

__all__ = [
    "REACHES", "Cancelled", "CheckpointError", "ColorizeResult", "Colorizer", "Context", "Fence", "Hint", "Profile",
    "build_profile", "get_colorizer", "load_checkpoint", "sha256_file",
]  # fmt: skip
