"""``reload_module``: load new code for a module of actor classes and upgrade its live actors.

``importlib.reload`` alone is a trap: live instances keep their old class,
``from module import Name`` keeps old names, and messages built from old
classes stop matching ``case`` patterns written against the new ones. Here
the module is re-executed from its source, and every live actor whose class
came from it is upgraded (``system.upgrade``) to the class of the same name,
so no instance of an old class survives. Modules that define other classes
(messages, exceptions, enums) that live actors use are refused: those would be
duplicated, and the old and new copies are different classes.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from ._actor import Actor
from ._messages import UpgradeFailed
from ._upgrade import live_cells, upgrade_each

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._system import ActorSystem

logger = logging.getLogger(__name__)


def _module(module: object) -> ModuleType:
    if isinstance(module, str):
        found = sys.modules.get(module)
        if found is None:
            raise ValueError(
                f"reload_module() needs an imported module (got {module!r}); import it"
            )
        module = found
    if not isinstance(module, ModuleType):
        raise TypeError(f"reload_module() needs a module or its name (got {module!r})")
    return module


def _source(module: ModuleType) -> str:
    spec = module.__spec__
    loader = spec.loader if spec is not None else None
    get_source = getattr(loader, "get_source", None)
    source = get_source(module.__name__) if get_source is not None else None
    if source is None:
        raise ValueError(
            f"reload_module() reloads Python source only; {module.__name__} has none "
            "(a native extension or a frozen module); restart the process to change it"
        )
    return str(source)


def _defined_classes(module: ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ]


def _queued_instances(cell: ActorCell, classes: tuple[type, ...]) -> bool:
    extras = cell.extras
    single = (cell.single,) if cell.single is not None else None
    for envelopes in (single, cell.queue, extras.stash if extras is not None else None):
        for message, _ in envelopes or ():
            if isinstance(message, classes):
                return True
    return False


def _refuse_message_classes(
    module: ModuleType, users: list[ActorCell], cells: list[ActorCell]
) -> None:
    others = tuple(cls for cls in _defined_classes(module) if not issubclass(cls, Actor))
    if not others:
        return
    holders = [cell for cell in cells if _queued_instances(cell, others)]
    involved = users or holders
    if involved:
        names = ", ".join(cls.__qualname__ for cls in others)
        paths = ", ".join(cell.path for cell in involved[:3])
        raise ValueError(
            f"reload_module() refuses to reload {module.__name__}: it defines {names}, "
            f"which are not actor classes, and live actors use them ({paths}); reloading "
            "would make new copies that old messages and other modules' imports do not "
            "match, so move message classes to a module you do not reload"
        )


async def reload_module(system: ActorSystem, module: ModuleType | str) -> int:
    """Re-execute ``module`` from its source and upgrade every live actor whose class it defines.

    Each live actor of ``system`` whose class was defined in ``module`` is
    upgraded, as ``system.upgrade`` does, to the class of the same name in the
    new code (its ``code_change`` migrates the state). The module is executed
    again in its own namespace, as ``importlib.reload`` does, so
    ``import module; module.Name`` sees the new code; names bound elsewhere
    with ``from module import Name`` keep the old objects.

    Message classes must not be reloaded: a queued message built from the
    old class would not match a ``case`` pattern of the new code. So a
    module that defines any class other than actor classes is refused while
    live actors come from it or hold its instances in their mailboxes; keep
    messages, exceptions and other data classes in a separate module.

    Args:
        system: The running system whose actors to upgrade.
        module: The module object, or its name in ``sys.modules``.

    Returns:
        How many actors were upgraded. An actor whose new class is missing
        or whose ``code_change`` raised keeps its old code; it is logged at
        error and published as :class:`UpgradeFailed`.

    Raises:
        ValueError: The module defines non-actor classes live actors use, or
            has no Python source (a native extension).
        TypeError: ``module`` is neither a module nor a name.
        Exception: Whatever executing the new source raised (a
            ``SyntaxError`` before anything changed); no actor is upgraded.
    """
    module = _module(module)
    name = module.__name__
    source = _source(module)
    cells = list(live_cells(system._user_guardian))
    users = [cell for cell in cells if cell.actor_class.__module__ == name]
    _refuse_message_classes(module, users, cells)
    code = compile(source, module.__file__ or name, "exec", dont_inherit=True)
    exec(code, vars(module))  # reloading a module is executing its code again
    pairs = []
    for cell in users:
        old_class = cell.actor_class
        new_class = vars(module).get(old_class.__name__)
        if (
            isinstance(new_class, type)
            and issubclass(new_class, Actor)
            and new_class.__module__ == name
        ):
            pairs.append((cell, new_class))
            continue
        error = LookupError(
            f"the reloaded {name} has no actor class {old_class.__name__}; "
            f"{cell.path} keeps its old code"
        )
        logger.error("%s", error, extra={"actor": cell.path, "reason": repr(error)})
        system.event_stream.publish(UpgradeFailed(ref=cell.self_ref, new_class=None, error=error))
    return await upgrade_each(pairs, None, system.event_stream)
