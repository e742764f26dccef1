import pytest

from ml.hints import Hint, rasterize


def test_it_rasterizes_a_point_hint_with_its_chroma_and_mask():
    h = Hint(0.5, 0.25, "#ff0000", radius=0.05)
    ab, m = rasterize([h], 40, 80)
    assert m[0, 10, 40] == 1 and m[0, 35, 5] == 0
    assert abs(ab[0, 10, 40] - h.ab[0]) < 1e-4 and ab[0, 35, 5] == 0


def test_it_rasterizes_a_brush_stroke_along_its_polyline():
    h = Hint(0.1, 0.5, "#0000ff", points=[(0.9, 0.5)], width=0.05)
    _, m = rasterize([h], 50, 100)
    assert m[0, 25, 10:90].all() and not m[0, 5, 50]
    assert len(h.anchor_pixels(50, 100)) > 10


def test_it_rejects_hints_outside_the_image_or_with_bad_colours():
    with pytest.raises(ValueError):
        Hint(1.2, 0.5, "#ff0000")
    with pytest.raises(ValueError):
        Hint(0.5, 0.5, "nope")
