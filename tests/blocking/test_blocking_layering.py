"""Meta-test: ``actors.blocking`` uses the core only through its public face, and is tidy."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import actors.blocking

PACKAGE = Path(actors.blocking.__file__).parent
ALLOWED = set(sys.stdlib_module_names) | {"actors", "supervision", "anyio"}


def test_blocking_imports_only_the_public_core_and_trio_lazily() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{path.name} reaches outside its package"
                continue
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                top, *rest = name.split(".")
                if top == "trio":  # only inside the functions that run trio
                    assert node not in tree.body, f"{path.name} imports trio at module level"
                    continue
                assert top in ALLOWED, f"{path.name} imports {name}"
                if top in ("actors", "supervision"):
                    assert not rest, f"{path.name} imports {name}; use the public API"
        assert path.name == "__init__.py" or path.name.startswith("_"), path
        assert len(path.read_text().splitlines()) <= 400, f"{path} is asking to be split"


def test_every_public_name_is_exported_and_documented() -> None:
    public = {name for name in vars(actors.blocking) if not name.startswith("_")}
    assert set(actors.blocking.__all__) == public
    for name in actors.blocking.__all__:
        assert getattr(actors.blocking, name).__doc__, name
