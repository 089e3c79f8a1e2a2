"""The explicit registry of types that may be encoded: stable names, versions, upcasters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from attrs import frozen

from actors import ActorError, ActorStopped, MailboxFull

#: An upcaster turns the stored fields of one version into those of the next.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_BUILTIN_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    LookupError,
    IndexError,
    RuntimeError,
    ArithmeticError,
    ZeroDivisionError,
    TimeoutError,
    NotImplementedError,
    PermissionError,
    AssertionError,
    ActorError,
    ActorStopped,
    MailboxFull,
)


@frozen
class Registration:
    """How one registered class is stored.

    Attributes:
        cls: the attrs class.
        tag: its stable stored name.
        version: the current version of its shape (1 unless evolved).
        upcasters: by stored version ``v``, the function from the fields of
            version ``v`` to those of version ``v + 1``.
        fields: the attribute names encoded, in declaration order.
    """

    cls: type
    tag: str
    version: int
    upcasters: Mapping[int, Upcaster]
    fields: tuple[str, ...]


class MessageRegistry:
    """The explicit list of types that may be encoded: on the wire and in a journal.

    Every process that reads what another wrote must register the same classes
    under the same tags (by default the class's qualified name,
    ``module.Class``)::

        registry = MessageRegistry()
        registry.register(PlaceOrder, Receipt)
        registry.register(Deposited, tag="bank.Deposited")  # a stable stored name
        registry.register_error(OutOfStock)

    Values are attrs classes registered here, or plain values (``None``, bool,
    int, float, str, bytes, lists, tuples, dicts) holding them at any depth.
    Nothing is ever pickled. A registered class can evolve: give it a stable
    ``tag`` (then the class can be renamed or moved), add fields with defaults
    (old records decode with the defaults), and when a shape changes otherwise,
    raise ``version`` and give ``upcasters`` that turn each older version's
    stored fields into the next version's.

    Exceptions of registered types raised by a remote handler are re-raised
    with their own type, rebuilt from their ``args``.
    """

    def __init__(self) -> None:
        self._by_tag: dict[str, Registration] = {}
        self._by_class: dict[type, Registration] = {}
        self._errors: dict[str, type[BaseException]] = {}
        self._error_tags: dict[type, str] = {}
        #: Bumped by every ``register``: codecs drop what they cached from older registrations.
        self._generation = 0
        for error in _BUILTIN_ERRORS:
            self.register_error(error)

    def register(
        self,
        *classes: type,
        tag: str | None = None,
        version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
    ) -> None:
        """Allow instances of ``classes`` to be encoded, named by a stable tag.

        Args:
            classes: attrs classes.
            tag: the stored name (only with one class); defaults to
                ``module.QualifiedName``. Keep it when renaming the class.
            version: the current version of the class's stored shape (>= 1;
                only with one class).
            upcasters: for each older version ``v`` (1 to ``version - 1``), a
                function from the fields stored at version ``v`` (a dict by
                attribute name) to the fields of version ``v + 1``.

        Raises:
            TypeError: a class is not an attrs class.
            ValueError: a tag is already taken by another class; ``tag``,
                ``version`` or ``upcasters`` given for more than one class; a
                version below 1; or an upcaster missing for an older version.
        """
        if (tag is not None or version != 1 or upcasters) and len(classes) != 1:
            raise ValueError(
                f"tag=, version= and upcasters= name exactly one class (got {len(classes)} classes)"
            )
        if version < 1:
            raise ValueError(f"version must be >= 1 (got {version})")
        steps = dict(upcasters or {})
        expected = set(range(1, version))
        if set(steps) != expected:
            raise ValueError(
                f"upcasters must cover exactly the older versions {sorted(expected)} "
                f"(got {sorted(steps)}); give one function per version v, from v to v + 1"
            )
        for cls in classes:
            if not (isinstance(cls, type) and attrs.has(cls)):
                raise TypeError(
                    f"message types must be attrs classes such as @frozen classes (got {cls!r})"
                )
            name = tag or qualified_name(cls)
            _check_tag(name)
            known = self._by_tag.get(name)
            if known is not None and known.cls is not cls:
                raise ValueError(f"tag {name!r} is already registered for {known.cls!r}; pass tag=")
            fields = tuple(field.name for field in attrs.fields(cls))
            registration = Registration(cls, name, version, steps, fields)
            self._by_tag[name] = registration
            self._by_class[cls] = registration
            self._generation += 1

    def register_error(self, cls: type[BaseException], *, tag: str | None = None) -> None:
        """Re-raise remote exceptions of type ``cls`` as themselves (rebuilt from ``args``).

        Raises:
            TypeError: ``cls`` is not an exception class.
            ValueError: the tag is already taken by another exception class.
        """
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise TypeError(f"register_error() needs an exception class (got {cls!r})")
        name = tag or qualified_name(cls)
        _check_tag(name)
        known = self._errors.get(name)
        if known is not None and known is not cls:
            raise ValueError(f"tag {name!r} is already registered for {known!r}; pass tag=")
        self._errors[name] = cls
        self._error_tags[cls] = name

    def tag_of(self, cls: type) -> str | None:
        """The tag of a registered class, or ``None``."""
        registration = self._by_class.get(cls)
        return None if registration is None else registration.tag

    def class_of(self, tag: str) -> type | None:
        """The class registered under ``tag``, or ``None``."""
        registration = self._by_tag.get(tag)
        return None if registration is None else registration.cls

    def registration_of(self, cls: type) -> Registration | None:
        """How a registered class is stored, or ``None``."""
        return self._by_class.get(cls)

    def registration_at(self, tag: str) -> Registration | None:
        """The registration stored under ``tag``, or ``None``."""
        return self._by_tag.get(tag)

    def error_tag_of(self, cls: type) -> str | None:
        """The tag of a registered exception class, or ``None``."""
        return self._error_tags.get(cls)

    def error_class_of(self, tag: str) -> type[BaseException] | None:
        """The exception class registered under ``tag``, or ``None``."""
        return self._errors.get(tag)


def _check_tag(tag: str) -> None:
    if tag.startswith("$"):
        raise ValueError(f"tags starting with '$' are the runtime's (got {tag!r})")


def qualified_name(cls: type) -> str:
    """``module.QualifiedName`` of a class (just the name for builtins)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
