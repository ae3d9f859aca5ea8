"""datagen sink ``postgres``: PostgreSQL tables loaded with COPY (psycopg 3)."""

from datagen_plugin_postgres.sink import PostgresSink

__all__ = ["PostgresSink"]
