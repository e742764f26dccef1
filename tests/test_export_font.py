"""The export marks find a Hangul font through fontconfig (issue 23, item 7): a machine with Noto CJK and no
NanumGothic still writes the DRAFT band and the AI mark in Korean, with no fixed path configured."""

import shutil

import pytest

from colorize.services import export


def _fontconfig(tmp_path, fonts_dir):
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f"<?xml version='1.0'?><fontconfig><dir>{fonts_dir}</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    return conf


@pytest.fixture
def fresh_lookup():
    export.hangul_font_file.cache_clear()
    export._load_font.cache_clear()
    yield
    export.hangul_font_file.cache_clear()
    export._load_font.cache_clear()


def test_a_korean_font_under_any_name_is_found_through_fontconfig(
    tmp_path, monkeypatch, settings, fresh_lookup
):
    if not shutil.which("fc-list"):
        pytest.skip("fontconfig is missing")
    system = export.hangul_font_file()
    if not system:
        pytest.skip("fontconfig knows no font with Hangul: apt-get install fonts-nanum")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    renamed = fonts / "SomeCJK-Bold.ttf"  # not NanumGothic, not in /usr/share/fonts/truetype/nanum
    shutil.copy(system, renamed)
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fontconfig(tmp_path, fonts)))
    export.hangul_font_file.cache_clear()
    assert export.hangul_font_file() == str(renamed)
    settings.EXPORT_FONT = ""
    font, korean = export._label_font(20)
    assert korean and font.path == str(renamed)


def test_with_no_korean_font_the_marks_fall_back_to_english(tmp_path, monkeypatch, settings, fresh_lookup):
    empty = tmp_path / "fonts"
    empty.mkdir()
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fontconfig(tmp_path, empty)))
    settings.EXPORT_FONT = ""
    assert export.hangul_font_file() == ""
    _font, korean = export._label_font(20)
    assert not korean


def test_a_configured_font_file_wins(tmp_path, settings, fresh_lookup):
    system = export.hangul_font_file()
    if not system:
        pytest.skip("fontconfig knows no font with Hangul: apt-get install fonts-nanum")
    chosen = tmp_path / "Chosen.ttf"
    shutil.copy(system, chosen)
    settings.EXPORT_FONT = str(chosen)
    font, korean = export._label_font(21)
    assert korean and font.path == str(chosen)
