"""An exception class may name the directive the default decider gives it."""

from __future__ import annotations

from typing import ClassVar

from supervision import Directive, default_decider


class Refused(Exception):
    default_directive: ClassVar[Directive] = Directive.STOP


class RefusedAgain(Refused):
    pass


class Confused(Exception):
    default_directive = "stop"  # not a Directive: ignored


def test_a_class_default_directive_is_honoured_and_inherited() -> None:
    assert default_decider(Refused()) is Directive.STOP
    assert default_decider(RefusedAgain()) is Directive.STOP


def test_anything_else_keeps_the_usual_defaults() -> None:
    assert default_decider(Confused()) is Directive.RESTART
    assert default_decider(ValueError()) is Directive.RESTART
    assert default_decider(KeyboardInterrupt()) is Directive.ESCALATE
