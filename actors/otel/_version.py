"""The installed version of anyactors, for instrumentation scopes."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def package_version() -> str:
    """The installed distribution's version, or ``"0+unknown"`` when running from a checkout."""
    try:
        return version("anyactors")
    except PackageNotFoundError:
        return "0+unknown"
