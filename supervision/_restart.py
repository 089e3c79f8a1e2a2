"""Child restart types, as in OTP's supervisor."""

from __future__ import annotations

import enum

from ._errors import InvalidChildSpec

__all__ = ["RestartType"]


class RestartType(enum.Enum):
    """When a child is restarted (OTP's `permanent`, `transient`, `temporary`).

    Attributes:
        PERMANENT: Always restarted, whether it failed or exited normally.
        TRANSIENT: Restarted only if it failed (the decider says `RESTART`);
            a normal exit stops it for good.
        TEMPORARY: Never restarted. When it fails or exits, or when a group
            restart (`OneForAll`, `RestForOne`) would restart it, it is
            stopped for good instead. Its restarts never count towards
            restart intensity.
    """

    PERMANENT = "permanent"
    TRANSIENT = "transient"
    TEMPORARY = "temporary"

    @classmethod
    def parse(cls, value: RestartType | str) -> RestartType:
        """Return the restart type for `value`.

        Args:
            value: A `RestartType`, or its string value (`"permanent"`,
                `"transient"` or `"temporary"`, exactly).

        Returns:
            The matching `RestartType`.

        Raises:
            InvalidChildSpec: If `value` is neither.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if member.value == value:
                    return member
        choices = ", ".join(repr(member.value) for member in cls)
        raise InvalidChildSpec(f"restart must be one of {choices} (got {value!r})")
