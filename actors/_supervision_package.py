"""Make sure ``supervision`` is anyactors' own package, before anything imports from it.

The name ``supervision`` is also taken on the package index by an unrelated
computer-vision library. Installed into the same environment, it overwrites
``supervision/__init__.py``; ``import actors`` would then fail with a puzzling
"cannot import name 'ActorError' from 'supervision'" (or with whatever that
library's own imports raise). This module is imported first by ``actors`` and
turns that into an error that says what happened and how to repair it.
"""

from __future__ import annotations

import importlib
import importlib.metadata

#: Set in anyactors' ``supervision/__init__.py``; no other package sets it.
MARKER = "__anyactors_supervision__"


def check_supervision_package() -> None:
    """Import ``supervision`` and raise ``ImportError`` unless it is anyactors' own.

    Raises:
        ImportError: another package's ``supervision`` is imported instead,
            or fails to import; the message says how to repair it.
    """
    try:
        module = importlib.import_module("supervision")
    except ImportError as error:
        raise ImportError(_explain(f"importing it failed ({error})")) from error
    if getattr(module, MARKER, False) is not True:
        where = getattr(module, "__file__", None) or "an unknown location"
        raise ImportError(_explain(f"the module found at {where} is not anyactors' package"))


def _explain(what: str) -> str:
    try:
        other = f"supervision {importlib.metadata.version('supervision')}"
    except importlib.metadata.PackageNotFoundError:
        other = "a package named supervision"
    return (
        f"anyactors needs its own 'supervision' package, but {what}: {other} from the "
        "package index (an unrelated computer-vision library) shares the name and has "
        "overwritten it; the two cannot share an environment, so install anyactors in a "
        "fresh virtual environment (or `pip uninstall supervision`, then "
        "`pip install --force-reinstall anyactors`)"
    )


check_supervision_package()
