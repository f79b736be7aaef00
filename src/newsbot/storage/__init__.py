"""Persistence: SQLAlchemy Core tables, Alembic migrations, one repository module per concern."""
