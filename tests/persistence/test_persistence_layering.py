"""Meta-tests: persistence and serialization use the public core only, and are tidy and exported."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["persistence", "serialization"]
# typing_extensions: the TypeVar default of the generic persistent actors before Python 3.13.
ALLOWED = set(sys.stdlib_module_names) | {
    "actors",
    "supervision",
    "anyio",
    "attrs",
    "msgspec",
    "typing_extensions",
}
#: PostgresJournal's driver (the postgres extra): imported by its modules only.
POSTGRES_MODULES = frozenset(
    {"_postgres.py", "_postgres_sql.py", "_postgres_store.py", "_postgres_writer.py"}
)
DRIVERS = {"psycopg": POSTGRES_MODULES, "psycopg_pool": POSTGRES_MODULES}


@pytest.mark.parametrize("package", PACKAGES)
def test_they_import_only_public_names_of_the_core(package: str) -> None:
    for path in sorted((ROOT / "actors" / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if path.name in DRIVERS.get(parts[0], ()):
                    continue
                assert parts[0] in ALLOWED, f"{package}/{path.name} imports {name}"
                if parts[0] in ("actors", "supervision"):
                    assert not any(part.startswith("_") for part in parts[1:]), (
                        f"{package}/{path.name} imports the private {name}"
                    )
                    if len(parts) > 1:
                        assert parts[1] in ("serialization", package), (path.name, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_exported_and_documented(package: str) -> None:
    module = importlib.import_module(f"actors.{package}")
    public = {name for name in vars(module) if not name.startswith("_")}
    public -= {name for name, value in vars(module).items() if isinstance(value, types.ModuleType)}
    assert set(module.__all__) == public
    for name in module.__all__:
        assert getattr(module, name).__doc__, f"actors.{package}.{name} has no docstring"


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_private_and_small(package: str) -> None:
    for path in (ROOT / "actors" / package).glob("*.py"):
        assert path.name == "__init__.py" or path.name.startswith("_"), path
        assert len(path.read_text().splitlines()) <= 400, f"{path} is asking to be split"


def test_persistence_needs_no_nats_and_the_core_no_msgspec() -> None:
    code = (
        "import sys, actors; core = 'msgspec' in sys.modules; "
        "import actors.persistence, actors.serialization; "
        "print(core, 'nats' in sys.modules, 'actors.remote' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["False", "False", "False"]
