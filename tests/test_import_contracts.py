"""The layers hold: the import contracts in pyproject.toml ([tool.importlinter]) are kept.

frontend -> colorize -> archive -> accounts, config; ml never imports Django or the platform; no import cycles
between the modules of a package. `make lint` runs the same check.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_broken_layer_is_reported(tmp_path):
    """The check can fail: a copy of the contracts with an upward import added is refused."""
    (tmp_path / "lower").mkdir()
    (tmp_path / "lower" / "__init__.py").write_text("import upper\n")
    (tmp_path / "upper").mkdir()
    (tmp_path / "upper" / "__init__.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_packages =\n    lower\n    upper\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\nlayers =\n    upper\n    lower\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "lower -> upper" in result.stdout
