"""Incoming and Response live in core.incoming (pure values the channel port also names)."""

from newsbot.core.incoming import Incoming, Response

__all__ = ["Incoming", "Response"]
