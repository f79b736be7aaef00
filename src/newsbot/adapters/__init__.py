"""Adapters: one module per outside system (HTTP, feeds, section pages)."""
