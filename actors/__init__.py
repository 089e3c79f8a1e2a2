"""anyactors: an actor runtime for Python on anyio, for asyncio and trio.

Every component is an actor with a private mailbox, reached only through its
:class:`ActorRef`. Failures are reported to the parent, which restarts, resumes
or stops the child by its supervision strategy (see the ``supervision``
package). A scheduler multiplexes all actors of a system on a few anyio tasks.
"""

from . import _logging as _logging

# Before anything imports from `supervision`: fail clearly if another
# distribution's package of that name replaced ours.
from . import _supervision_package as _supervision_package
from ._actor import Actor as Actor
from ._cluster import Cluster as Cluster
from ._cluster import ClusterNode as ClusterNode
from ._context import ActorContext as ActorContext
from ._errors import ActorError as ActorError
from ._errors import ActorInitializationError as ActorInitializationError
from ._errors import ActorStopped as ActorStopped
from ._errors import ActorSystemClosed as ActorSystemClosed
from ._errors import AskCycleError as AskCycleError
from ._errors import DuplicateActorName as DuplicateActorName
from ._errors import InvalidActorName as InvalidActorName
from ._errors import MailboxFull as MailboxFull
from ._errors import RestartIntensityExceeded as RestartIntensityExceeded
from ._errors import StashError as StashError
from ._event_stream import EventStream as EventStream
from ._instrumentation import HandlingScope as HandlingScope
from ._instrumentation import Instrumentation as Instrumentation
from ._mailbox import MailboxConfig as MailboxConfig
from ._mailbox import Overflow as Overflow
from ._message_check import MessageTypeError as MessageTypeError
from ._message_check import narrow_ref as narrow_ref
from ._messages import ActorFailed as ActorFailed
from ._messages import DeadLetter as DeadLetter
from ._messages import Terminated as Terminated
from ._messages import UpgradeFailed as UpgradeFailed
from ._props import Props as Props
from ._props import props as props
from ._ref import ActorRef as ActorRef
from ._reload import reload_module as reload_module
from ._request import ReplyTypeMismatch as ReplyTypeMismatch
from ._request import Request as Request
from ._statistics import ActorStatistics as ActorStatistics
from ._statistics import SystemStatistics as SystemStatistics
from ._supervisor import Supervisor as Supervisor
from ._system import ActorSystem as ActorSystem
from ._timers import Timer as Timer

__all__ = [
    "Actor",
    "ActorContext",
    "ActorError",
    "ActorFailed",
    "ActorInitializationError",
    "ActorRef",
    "ActorStatistics",
    "ActorStopped",
    "ActorSystem",
    "ActorSystemClosed",
    "AskCycleError",
    "Cluster",
    "ClusterNode",
    "DeadLetter",
    "DuplicateActorName",
    "EventStream",
    "HandlingScope",
    "Instrumentation",
    "InvalidActorName",
    "MailboxConfig",
    "MailboxFull",
    "MessageTypeError",
    "Overflow",
    "Props",
    "ReplyTypeMismatch",
    "Request",
    "RestartIntensityExceeded",
    "StashError",
    "Supervisor",
    "SystemStatistics",
    "Terminated",
    "Timer",
    "UpgradeFailed",
    "narrow_ref",
    "props",
    "reload_module",
]

# Not a NullHandler: failures must be visible with no logging configured.
_logging.install()
