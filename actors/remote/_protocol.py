"""The little of NATS's wire protocol that the receiving runs read for themselves.

nats-server writes each message as a ``MSG`` control line (subject, sid, an
optional reply subject, the payload size), then the payload and a CRLF.
``_receiving`` matches those lines itself and hands every other protocol
operation, one at a time and in its place, to nats-py's parser, so it must
know where each operation ends, and fail on a bad sid as nats-py's parser does.
"""

from __future__ import annotations

import re

import nats.errors

#: Matches a ``MSG`` control line as nats-server writes it: subject, sid, optional
#: reply subject, payload size, single spaces. nats-py's own pattern also takes runs
#: of white space; a line this one does not match goes to nats-py's parser.
match_msg_line = re.compile(rb"MSG ([^\s]+) ([^\s]+) (?:([^\s]+) )?(\d+)\r\n").match


def sid_of(token: bytes) -> int:
    """A ``MSG`` line's sid, as nats-py's parser reads it (its error if it is no number)."""
    try:
        return int(token)
    except ValueError:
        raise nats.errors.ProtocolError("nats: malformed MSG") from None


def end_of_operation(view: bytes, position: int) -> int | None:
    """Where the protocol operation at ``position`` ends; ``None`` if it is not all here.

    A ``MSG`` or ``HMSG`` line ends with its total size (headers and payload),
    followed by that many bytes and a CRLF; every other operation is one line.
    A line whose size does not parse is returned whole (nats-py's parser then
    raises its protocol error).
    """
    line_end = view.find(b"\r\n", position)
    if line_end < 0:
        return None
    end = line_end + 2
    if view.startswith((b"MSG", b"HMSG"), position):
        try:
            end += int(view[position:line_end].rsplit(None, 1)[-1]) + 2
        except ValueError:
            return end
    return end if end <= len(view) else None
