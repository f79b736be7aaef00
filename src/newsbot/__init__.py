"""newsbot: a news-digest bot for a Chinese regional news portal."""

__version__ = "0.1.0"
