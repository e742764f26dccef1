"""Find Color model package: user-guided, context-adaptive colorization (pure PyTorch + NumPy, no Django).

from ml import Colorizer, Hint, Adaptation
c = Colorizer.load()
res = c.colorize(gray_uint8, hints=[Hint(0.5, 0.4, "#aa3322")], adaptation=Adaptation.load("collection.json"))

The names below are loaded on first use (PEP 562), so `import ml.colorspace` (the NumPy colour math the
platform uses) does not load torch.
"""

from importlib import import_module

_HOMES = {
    "Cancelled": "colorizer",
    "CheckpointError": "checkpoint",
    "ColorizeResult": "colorizer",
    "Colorizer": "colorizer",
    "get_colorizer": "colorizer",
    "InferenceSettings": "inference",
    "load_checkpoint": "checkpoint",
    "sha256_file": "checkpoint",
    "Adaptation": "adapt",
    "AdaptationError": "adapt",
    "build_adaptation": "adapt",
    "Hint": "hints",
    "Fence": "hints",
    "REACHES": "hints",
    "Profile": "profiles",
    "build_profile": "profiles",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'ml' has no attribute {name!r}")
    value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
