"""The pure core: no network, no database, no asyncio, no clock reads."""
