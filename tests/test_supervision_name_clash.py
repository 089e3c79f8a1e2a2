"""Another distribution named ``supervision`` in the environment: a clear error at import.

The package index has an unrelated computer-vision library named
``supervision``; installed beside anyactors it overwrites
``supervision/__init__.py``. Each scenario puts a stand-in for it first on
``sys.path`` of a fresh interpreter and imports ``actors``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

STAND_INS = {
    "imports fine": '"""A computer-vision library (stand-in)."""\n__version__ = "0.25.1"\n',
    "fails to import": "import a_module_that_is_not_installed_anywhere\n",
}


@pytest.mark.parametrize("stand_in", sorted(STAND_INS))
def test_importing_actors_beside_the_other_supervision_says_what_happened(
    tmp_path: Path, stand_in: str
) -> None:
    package = tmp_path / "supervision"
    package.mkdir()
    (package / "__init__.py").write_text(STAND_INS[stand_in])
    metadata = tmp_path / "supervision-0.25.1.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: supervision\nVersion: 0.25.1\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, "-c", "import actors"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,  # `-c` puts the working directory first on sys.path
        check=False,
        timeout=60,
    )
    assert completed.returncode == 1
    last_line = completed.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: anyactors needs its own 'supervision' package, but ")
    assert (
        "supervision 0.25.1 from the package index (an unrelated computer-vision library) "
        "shares the name and has overwritten it; the two cannot share an environment, "
        "so install anyactors in a fresh virtual environment"
    ) in last_line
    if stand_in == "imports fine":
        assert f"the module found at {package / '__init__.py'} is not anyactors' package" in (
            last_line
        )
    else:
        assert (
            "importing it failed (No module named 'a_module_that_is_not_installed_anywhere')"
            in (last_line)
        )


def test_our_own_supervision_carries_the_marker() -> None:
    import supervision

    assert supervision.__anyactors_supervision__ is True
