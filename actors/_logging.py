"""Failures visible with no logging configured, and not twice once it is.

Libraries usually put a ``NullHandler`` on their logger, which also silences
Python's ``logging.lastResort``: a newcomer whose actor fails sees nothing.
A runtime's failures must be seen (Akka logs every supervised failure by
default), so anyactors has a last resort of its own on the ``actors`` logger
instead. It writes one line to stderr for each warning or error record, in
the format of ``logging.basicConfig`` but without the traceback, and only
while nothing else would show the record: as soon as the application
configures logging (a handler on the root logger, or on any logger the record
passes through), it steps aside and the application's handlers render the
record, traceback included (the failure records carry ``exc_info``).
Setting ``logging.lastResort = None`` silences it too.
"""

from __future__ import annotations

import logging
import sys

#: The logger every module of the runtime logs under.
PACKAGE_LOGGER = "actors"


class ConciseLastResort(logging.Handler):
    """One line per warning or error on stderr, while no other handler would take the record."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if logging.lastResort is None or self._handled_elsewhere(record):
            return
        try:
            sys.stderr.write(f"{record.levelname}:{record.name}:{record.getMessage()}\n")
        except Exception:  # as any handler: a broken stderr must not break the runtime
            self.handleError(record)

    def _handled_elsewhere(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False


def install() -> None:
    """Attach the last resort to the package logger (once, however often it is called)."""
    package_logger = logging.getLogger(PACKAGE_LOGGER)
    if not any(isinstance(handler, ConciseLastResort) for handler in package_logger.handlers):
        package_logger.addHandler(ConciseLastResort())
