"""The inference settings of a Colorizer: how it runs a checkpoint's network (not the weights themselves).

The settings chosen on held-out training photos (bench/ml_choose.py) travel in the checkpoint as its
"inference" dict (ml/export.py); a caller may override any of them (benchmarks, tests).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class InferenceSettings:
    # the working pass: photos larger than the global pass (256 px) are colorized at this long side, in tiles
    # of `tile` px overlapping by `overlap` px
    work_side: int = 256
    tile: int = 256
    overlap: int = 48
    # the difficulty classifier: a hint-free tile it scores below this keeps the global pass's chroma
    dcm_threshold: float = 0.5
    # where the null token wins, the output moves from the regression prior toward the annealed mean (temperature
    # anneal_T) of the bin distribution by anneal_mix (colourfulness; anneal_mix_hinted when there are hints)
    anneal_mix: float = 0.0
    anneal_mix_hinted: float = 0.0
    anneal_T: float = 0.38
    # the radius (working-size px) of the local correction around each verified hint's anchor
    anchor_px: float = 3.0
    # added to every pixel's null-token logit: > 0 keeps hints closer to their own object
    null_bias: float = 0.0
    # whether the hint colours' histogram feeds the global vector (it shifts the prior of the whole photo, so a
    # single hint would recolour far-away regions; off by default)
    hint_hist: bool = False
    # how fast a hint's pull fades with distance (attention logit per long side): a hint colours its object
    # near it, not every look-alike region of the photo (ml/net.py propagate)
    hint_reach: float = 0.0
    # > 0: that distance is measured along the photo, a lightness edge costing reach_edge x its step in L / 100
    # (ml/reach.py): a hint fills its own region far and stops at the boundary; 0: straight-line distance
    reach_edge: float = 0.0

    def __post_init__(self):
        for f in fields(self):  # JSON numbers and overrides arrive as any number type: store the declared one
            object.__setattr__(self, f.name, _TYPES[f.type](getattr(self, f.name)))

    @classmethod
    def of_checkpoint(cls, ckpt: dict, **overrides) -> InferenceSettings:
        """The checkpoint's stored settings over the defaults, then every override that is not None.
        Raises TypeError for an override that is not a setting."""
        stored = {k: v for k, v in (ckpt.get("inference") or {}).items() if k in STORED}
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown inference setting(s): {', '.join(sorted(unknown))}")
        return replace(cls(**stored), **{k: v for k, v in overrides.items() if v is not None})


_TYPES = {"int": int, "float": float, "bool": bool}
# What a checkpoint stores ("inference"): everything but the tiling, which is a property of the machine.
STORED = tuple(f.name for f in fields(InferenceSettings) if f.name not in ("tile", "overlap"))
INFERENCE_DEFAULTS = {k: v for k, v in asdict(InferenceSettings()).items() if k in STORED}
