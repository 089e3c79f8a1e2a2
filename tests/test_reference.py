"""Meta-test: the API reference has an entry for every public name.

Every public module under ``actors/`` and ``supervision/`` (no path part
starting with ``_``) is found by walking the source tree, so a package added
later is covered as soon as it exists. Each must have a page under
``docs/reference/`` with its ``::: module`` directive, listed in mkdocs.yml's
nav under "Reference" > "API". The docs are then built with ``mkdocs build
--strict`` (broken links and bad docstrings fail it) and the generated
``objects.inv`` inventory must name:

* every name in each public module's ``__all__``;
* the public methods and properties of every exported class, with those
  inherited from private base classes (such as ``ActorSystem.tree``, from
  the private ``SystemInspection``); those inherited from another exported
  class are documented on that class;
* the public instance attributes listed in ``INSTANCE_ATTRIBUTES`` (runtime
  introspection cannot see attributes assigned in ``__init__``).

Data fields of attrs classes are documented in their class's docstring
(``Attributes:``/``Args:``) and are not required as separate entries.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("actors", "supervision")
REFERENCE = ROOT / "docs" / "reference"

# Public attributes that instances get in __init__ (invisible to dir(class)).
INSTANCE_ATTRIBUTES = {"actors.ActorSystem": ("event_stream", "name")}


def public_modules() -> list[str]:
    """Every importable public module of the packages (``__main__`` excluded)."""
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] == "__main__" or any(part.startswith("_") for part in parts):
                continue
            found.append(".".join(parts))
    return found


def exported(module_name: str) -> list[str]:
    """The module's public names: its ``__all__``."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module_name} has no __all__; list its public names there"
    return list(names)


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] in PACKAGES


def _exported_classes() -> set[type]:
    classes: set[type] = set()
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in exported(module_name):
            value = getattr(module, name)
            if isinstance(value, type):
                classes.add(value)
    return classes


def class_members(cls: type, exported_classes: set[type]) -> Iterator[str]:
    """Public methods and properties of ``cls``, with those of its private bases."""
    seen: set[str] = set()
    for base in cls.__mro__:
        if not _ours(base) or (base is not cls and base in exported_classes):
            continue
        for name, value in vars(base).items():
            if name.startswith("_") or name in seen:
                continue
            if isinstance(value, staticmethod | classmethod | property) or inspect.isfunction(
                value
            ):
                seen.add(name)
                yield name


def expected_entries() -> dict[str, str]:
    """Every dotted name the reference must have, with the module that exports it."""
    exported_classes = _exported_classes()
    expected: dict[str, str] = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in exported(module_name):
            dotted = f"{module_name}.{name}"
            expected[dotted] = module_name
            value = getattr(module, name)
            if isinstance(value, type) and _ours(value):
                for member in class_members(value, exported_classes):
                    expected[f"{dotted}.{member}"] = module_name
            for member in INSTANCE_ATTRIBUTES.get(dotted, ()):
                expected[f"{dotted}.{member}"] = module_name
    return expected


def read_inventory(path: Path) -> set[str]:
    """The object names in a Sphinx (version 2) ``objects.inv``, as mkdocstrings writes it."""
    data = path.read_bytes()
    header_lines = 4
    parts = data.split(b"\n", header_lines)
    assert parts[0] == b"# Sphinx inventory version 2"
    body = zlib.decompress(parts[header_lines]).decode()
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def nav_pages(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from nav_pages(value)


def api_nav() -> list[str]:
    """The pages under "Reference" > "API" in mkdocs.yml's nav."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    for section in config.nav or ():
        if isinstance(section, dict) and "Reference" in section:
            for entry in section["Reference"]:
                if isinstance(entry, dict) and "API" in entry:
                    return list(nav_pages(entry["API"]))
    raise AssertionError('mkdocs.yml has no nav section "Reference" > "API"')


def directives() -> dict[str, str]:
    """``::: module`` directive targets under docs/reference/, with their page."""
    found: dict[str, str] = {}
    for page in sorted(REFERENCE.glob("*.md")):
        for target in re.findall(r"^::: *([\w.]+) *$", page.read_text(), flags=re.MULTILINE):
            found[target] = f"reference/{page.name}"
    return found


def test_public_modules_are_found_by_walking_the_tree() -> None:
    modules = public_modules()
    for known in ("actors", "supervision", "actors.routing", "actors.remote.testing"):
        assert known in modules
    assert not [module for module in modules if "._" in module]


def test_every_public_module_has_a_reference_page_in_the_nav() -> None:
    pages = directives()
    nav = api_nav()
    for module in public_modules():
        assert module in pages, (
            f"{module} has no API reference page; add docs/reference/<package>.md "
            f"containing '::: {module}' and list it in mkdocs.yml under Reference > API"
        )
        assert pages[module] in nav, (
            f"{pages[module]} (for {module}) is not in mkdocs.yml's nav; "
            "list it under Reference > API"
        )
    for page in REFERENCE.glob("*.md"):
        assert f"reference/{page.name}" in nav, f"docs/reference/{page.name} is not in the nav"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-4000:]}"
    return read_inventory(site / "objects.inv")


def test_the_strict_docs_build_has_an_entry_for_every_public_name(inventory: set[str]) -> None:
    missing = sorted(name for name in expected_entries() if name not in inventory)
    assert not missing, (
        f"{len(missing)} public names have no API reference entry (give each a docstring; "
        "a member inherited from a private base class also needs its page's "
        f"inherited_members option to list it): {missing}"
    )


def test_the_reference_covers_the_system_members_users_reach_for(inventory: set[str]) -> None:
    for member in ("tree", "statistics", "event_stream", "dead_letters", "walk", "children"):
        assert f"actors.ActorSystem.{member}" in inventory
