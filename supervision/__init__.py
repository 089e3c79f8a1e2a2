"""Supervision for anyactors: strategies, directives, child specs and `decide`.

This package is pure: it imports only the standard library and attrs, never
anyio or `actors`. Time and randomness are arguments, so every policy can be
tested without an event loop. The `actors` runtime applies its decisions.
"""

#: Tells anyactors this is its own `supervision`, not the unrelated package of that name.
__anyactors_supervision__ = True

from ._backoff import Backoff as Backoff
from ._child import ChildSpec as ChildSpec
from ._child import child as child
from ._decide import Decision as Decision
from ._decide import decide as decide
from ._directive import Directive as Directive
from ._directive import default_decider as default_decider
from ._errors import ActorError as ActorError
from ._errors import InvalidChildSpec as InvalidChildSpec
from ._errors import InvalidStrategy as InvalidStrategy
from ._intensity import RestartHistory as RestartHistory
from ._restart import RestartType as RestartType
from ._retry import MessageAction as MessageAction
from ._retry import NoRetry as NoRetry
from ._retry import check_retry_message as check_retry_message
from ._strategy import OneForAll as OneForAll
from ._strategy import OneForOne as OneForOne
from ._strategy import RestForOne as RestForOne
from ._strategy import Strategy as Strategy

__all__ = [
    "ActorError",
    "Backoff",
    "ChildSpec",
    "Decision",
    "Directive",
    "InvalidChildSpec",
    "InvalidStrategy",
    "MessageAction",
    "NoRetry",
    "OneForAll",
    "OneForOne",
    "RestForOne",
    "RestartHistory",
    "RestartType",
    "Strategy",
    "check_retry_message",
    "child",
    "decide",
    "default_decider",
]
