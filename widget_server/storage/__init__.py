"""Storage: the schema, the engine, migrations. Queries live with their concern."""

from .database import Database

__all__ = ["Database"]
