"""actors.remote's public face: every name exported on purpose and documented."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import actors.remote


def test_every_public_name_is_exported_and_documented() -> None:
    public = {name for name in vars(actors.remote) if not name.startswith("_")}
    # Subpackages (actors.remote.testing) become attributes once imported.
    public -= {name for name, value in vars(actors.remote).items() if isinstance(value, ModuleType)}
    assert set(actors.remote.__all__) == public
    for name in actors.remote.__all__:
        assert getattr(actors.remote, name).__doc__, f"actors.remote.{name} has no docstring"


def test_modules_are_private_and_small() -> None:
    for path in Path(actors.remote.__file__).parent.glob("*.py"):
        assert path.name == "__init__.py" or path.name.startswith("_"), path
        assert len(path.read_text().splitlines()) <= 400, f"{path} is asking to be split"


def test_the_core_does_not_depend_on_the_remote_layer() -> None:
    core = Path(actors.remote.__file__).parent.parent
    for path in core.glob("_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert "remote" not in module, (path, module)
            elif isinstance(node, ast.Import):
                assert all("actors.remote" not in alias.name for alias in node.names), path


def test_the_testing_helpers_are_exported_and_documented() -> None:
    from actors.remote import testing

    public = {name for name in vars(testing) if not name.startswith("_")}
    assert set(testing.__all__) == public
    for name in testing.__all__:
        if name != "READY_TIMEOUT":
            assert getattr(testing, name).__doc__, f"actors.remote.testing.{name} has no docstring"
