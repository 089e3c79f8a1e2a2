import ast
import sys
from pathlib import Path

import supervision

PACKAGE = Path(supervision.__file__).parent


def test_every_public_name_is_exported() -> None:
    public = {name for name in vars(supervision) if not name.startswith("_")}
    assert set(supervision.__all__) == public
    for name in supervision.__all__:
        value = getattr(supervision, name)
        if hasattr(value, "__doc__") and not isinstance(value, type(supervision.Strategy)):
            assert value.__doc__, f"{name} has no docstring"


def test_imports_only_stdlib_and_attrs() -> None:
    allowed = set(sys.stdlib_module_names) | {"attrs", "attr"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            for root in roots:
                assert root in allowed, f"{path.name} imports {root}"


def test_private_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) < 200, path.name
