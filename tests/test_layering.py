"""Meta-tests: the public faces are tidy and the layers hold.

In the spirit of trio's ``test_exports.py``: every public name is exported on
purpose, documented, and the packages import only what their layer allows.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names)


def imported_top_levels(package: str) -> dict[str, set[str]]:
    """For each module of ``package``: the top-level names of absolute imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[path.name] = names
    return found


def test_supervision_imports_only_the_standard_library_and_attrs() -> None:
    for module, names in imported_top_levels("supervision").items():
        assert names - STDLIB - {"attrs"} == set(), module


def test_actors_depends_only_on_anyio_attrs_and_supervision() -> None:
    # trio (and its outcome) are imported lazily, only when trio runs the loop;
    # typing_extensions gives TypeVar defaults before Python 3.13 (anyio needs it too).
    allowed = STDLIB | {"anyio", "attrs", "supervision", "trio", "outcome", "typing_extensions"}
    for module, names in imported_top_levels("actors").items():
        assert names - allowed == set(), module


def test_trio_is_imported_only_by_the_promise_backend() -> None:
    for module, names in imported_top_levels("actors").items():
        if module != "_promise.py":
            assert "trio" not in names, module


@pytest.mark.parametrize("package", ["actors", "supervision"])
def test_every_public_name_is_exported_and_documented(package: str) -> None:
    module = importlib.import_module(package)
    public = {name for name in vars(module) if not name.startswith("_")}
    public -= {"logging", "annotations"}
    # Subpackages (actors.otel, actors.routing, ...) become attributes once imported.
    public -= {name for name, value in vars(module).items() if isinstance(value, types.ModuleType)}
    assert set(module.__all__) == public
    for name in module.__all__:
        assert getattr(module, name).__doc__, f"{package}.{name} has no docstring"


@pytest.mark.parametrize("package", ["actors", "supervision"])
def test_modules_are_private_and_small(package: str) -> None:
    for path in (ROOT / package).glob("*.py"):
        assert path.name == "__init__.py" or path.name.startswith("_"), path
        assert len(path.read_text().splitlines()) <= 400, f"{path} is asking to be split"


def test_the_issue_names_are_exported() -> None:
    import actors
    import supervision

    for name in [
        "Actor",
        "ActorRef",
        "ActorSystem",
        "Supervisor",
        "Terminated",
        "DeadLetter",
        "ActorFailed",
        "ActorStopped",
        "ActorError",
    ]:
        assert name in actors.__all__
    for name in ["OneForOne", "OneForAll", "RestForOne", "Directive", "Backoff", "child"]:
        assert name in supervision.__all__
    assert actors.ActorError is supervision.ActorError
