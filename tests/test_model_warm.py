"""The model is warmed at start in the background (issue 23, item 10): with MODEL_WARM_ON_START the serving
process loads the colorizer on a daemon thread without blocking, and under pytest it does not unless enabled."""

import threading

import pytest

from colorize.services import model

LOADS: list[str] = []
READY = threading.Event()
RELEASE = threading.Event()


class _SlowColorizer:
    def suggest(self, gray, point, k=8, **kwargs):
        assert gray.ndim == 2 and 0 <= gray.min() and gray.max() <= 1
        LOADS.append("suggest")
        return [("#808080", 1.0)]

    def colorize(self, gray, max_side=None, **kwargs):
        LOADS.append("colorize")


def slow_colorizer():
    """A factory (settings.COLORIZER) that takes until the test releases it, like a model loading from disk."""
    READY.set()
    assert RELEASE.wait(30)
    LOADS.append("load")
    return _SlowColorizer()


def failing_colorizer():
    raise RuntimeError("no weights")


@pytest.fixture(autouse=True)
def _reset():
    LOADS.clear()
    READY.clear()
    RELEASE.clear()


def test_under_pytest_the_model_is_not_warmed_unless_enabled(settings):
    assert settings.MODEL_WARM_ON_START is False
    assert model.warm_in_background() is None


def test_when_enabled_the_model_loads_on_a_background_thread_without_blocking_the_start(settings):
    settings.MODEL_WARM_ON_START = True
    settings.COLORIZER = f"{__name__}.slow_colorizer"
    thread = model.warm_in_background()
    assert thread is not None and thread.daemon
    assert READY.wait(30)  # the load started...
    assert thread.is_alive() and LOADS == []  # ...and warm_in_background returned while it runs
    RELEASE.set()
    thread.join(30)
    assert LOADS == ["load", "suggest", "colorize"]


def test_a_failed_warm_up_is_logged_and_does_not_stop_the_server(settings, caplog):
    settings.MODEL_WARM_ON_START = True
    settings.COLORIZER = f"{__name__}.failing_colorizer"
    thread = model.warm_in_background()
    thread.join(30)
    assert "model warm-up failed" in caplog.text
