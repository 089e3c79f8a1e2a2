"""Meta-tests: the pattern packages use only the public core API, and are tidy.

As trio keeps everything outside ``trio._core`` on what ``_core`` exports,
``actors.routing``, ``actors.reliable`` and ``actors.testing`` import from
``actors`` and ``supervision`` only by their public names, never ``actors._x``.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["routing", "reliable", "testing", "sharding"]
#: The other higher layers a package may use, by their public faces (persistent
#: entities; journal-backed reliable delivery).
USES = {"sharding": {"persistence"}, "reliable": {"persistence"}}
#: Public modules of the test kit besides __init__ (a pytest plugin, hypothesis helpers).
PUBLIC_MODULES = {"testing": {"pytest_plugin.py", "protocols.py"}}
# typing_extensions: the TypeVar defaults of the generic refs before Python 3.13.
ALLOWED = set(sys.stdlib_module_names) | {
    "actors",
    "supervision",
    "anyio",
    "attrs",
    "typing_extensions",
}
#: Test dependencies, each allowed only in the test kit's modules that say so.
TEST_ONLY = {"pytest": {"pytest_plugin.py"}, "hypothesis": {"protocols.py"}}


def _imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module name, relative level) of every import in ``path``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_patterns_import_only_the_public_core(package: str) -> None:
    for path in sorted((ROOT / "actors" / package).glob("*.py")):
        for module, level in _imports(path):
            if level:
                assert level == 1, f"{path.name} reaches outside its package: {module}"
                continue
            parts = module.split(".")
            if parts[0] in ("actors", "supervision"):
                assert not any(part.startswith("_") for part in parts[1:]), (
                    f"{package}/{path.name} imports the private {module}; use the public API"
                )
                if parts[0] == "actors" and len(parts) > 1:
                    assert parts[1] in {package} | USES.get(package, set()), (
                        f"{package}/{path.name} imports {module}"
                    )
            elif parts[0] in TEST_ONLY:
                assert path.name in TEST_ONLY[parts[0]], f"{path.name} imports {parts[0]}"
            elif parts[0] == "trio":
                assert path.name == "_virtual_time.py", f"{path.name} imports trio"
            else:
                assert parts[0] in ALLOWED, f"{package}/{path.name} imports {module}"


def test_trio_is_imported_lazily_by_the_virtual_time_helper_only() -> None:
    for package in PACKAGES:
        for path in (ROOT / "actors" / package).glob("*.py"):
            tree = ast.parse(path.read_text())
            top = {
                alias.name.split(".")[0]
                for node in tree.body
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in (
                    node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
                )
            }
            assert "trio" not in top, path
            assert "hypothesis" not in top or path.name == "protocols.py", path


def test_importing_the_test_kit_does_not_import_hypothesis() -> None:
    code = "import sys, actors.testing, actors.routing, actors.reliable; print('hypothesis' in sys.modules)"
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_exported_and_documented(package: str) -> None:
    module = importlib.import_module(f"actors.{package}")
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(module.__all__) == public
    for name in module.__all__:
        assert getattr(module, name).__doc__, f"actors.{package}.{name} has no docstring"


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_private_and_small(package: str) -> None:
    for path in (ROOT / "actors" / package).glob("*.py"):
        public_ok = path.name == "__init__.py" or path.name in PUBLIC_MODULES.get(package, set())
        assert public_ok or path.name.startswith("_"), path
        assert len(path.read_text().splitlines()) < 400, f"{path} is asking to be split"
