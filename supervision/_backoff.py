"""Exponential backoff between restarts."""

from __future__ import annotations

import math

from attrs import Attribute, field, frozen

from ._errors import InvalidStrategy

__all__ = ["Backoff"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_seconds(instance: Backoff, attribute: Attribute[float], value: float) -> None:
    if not _is_number(value) or not math.isfinite(value):
        raise InvalidStrategy(
            f"Backoff {attribute.name} must be a finite number of seconds (got {value!r})"
        )
    if value <= 0:
        raise InvalidStrategy(f"Backoff {attribute.name} must be > 0 seconds (got {value!r})")


def _check_factor(instance: Backoff, attribute: Attribute[float], value: float) -> None:
    if not _is_number(value) or not math.isfinite(value) or value < 1:
        raise InvalidStrategy(f"Backoff factor must be a finite number >= 1 (got {value!r})")


def _check_jitter(instance: Backoff, attribute: Attribute[float], value: float) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        raise InvalidStrategy(f"Backoff jitter must be between 0 and 1 (got {value!r})")


def check_jitter_sample(jitter_sample: float) -> None:
    """Raise `ValueError` unless `jitter_sample` is a number in [0, 1)."""
    if not _is_number(jitter_sample) or not 0 <= jitter_sample < 1:
        raise ValueError(
            f"jitter_sample must be a number in [0, 1), e.g. random.random() "
            f"(got {jitter_sample!r})"
        )


@frozen(kw_only=True)
class Backoff:
    """Exponential backoff: how long a supervisor waits before restarting.

    The delay grows with the number of restarts already made in the current
    restart-intensity window, so a child that keeps failing is restarted
    more and more slowly, up to `max`; once the window forgets old restarts
    the delay shrinks again.

    Attributes:
        min: Delay before the first restart in the window, in seconds (> 0).
        max: Largest delay, in seconds (>= `min`).
        factor: Growth per restart (>= 1); 1 means a constant delay of `min`.
        jitter: Relative spread in [0, 1]; the delay is scaled by a factor in
            `[1 - jitter, 1 + jitter)` picked by `jitter_sample`, so that
            siblings restarted together do not retry in lock step.

    Raises:
        InvalidStrategy: If any value breaks the rules above.
    """

    min: float = field(validator=_check_seconds)
    max: float = field(validator=_check_seconds)
    factor: float = field(default=2.0, validator=_check_factor)
    jitter: float = field(default=0.0, validator=_check_jitter)

    def __attrs_post_init__(self) -> None:
        if self.max < self.min:
            raise InvalidStrategy(
                f"Backoff max must be >= min (got max={self.max!r}, min={self.min!r})"
            )

    def delay(self, attempt: int, jitter_sample: float = 0.5) -> float:
        """Return the delay before a restart, in seconds.

        `base = min(max, min * factor**attempt)`, then
        `base * (1 + jitter * (2 * jitter_sample - 1))`, clamped to `[0, max]`.

        Args:
            attempt: Restarts already made in the current window; 0 for the
                first restart.
            jitter_sample: A uniform sample in [0, 1), e.g. `random.random()`;
                0.5 (the default) means no jitter.

        Returns:
            The delay, between 0 and `max` inclusive.

        Raises:
            ValueError: If `attempt` is negative or not an int, or
                `jitter_sample` is not in [0, 1).
        """
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 0:
            raise ValueError(f"attempt must be an int >= 0 (got {attempt!r})")
        check_jitter_sample(jitter_sample)
        try:
            base = float(min(self.max, self.min * self.factor**attempt))
        except OverflowError:
            base = float(self.max)
        scaled = base * (1 + self.jitter * (2 * jitter_sample - 1))
        return max(0.0, min(float(self.max), scaled))
