"""The HTTP front: one server for all inbound HTTP (health, channel callbacks, digest pages)."""

from newsbot.front.routes import HttpRequest, HttpResponse, Route
from newsbot.front.server import HttpFront

__all__ = ["HttpFront", "HttpRequest", "HttpResponse", "Route"]
