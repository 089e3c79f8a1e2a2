"""Persistence: event-sourced and durable-state actors over a journal."""

from actors.serialization import MessageRegistry as MessageRegistry

__all__ = ["MessageRegistry"]
