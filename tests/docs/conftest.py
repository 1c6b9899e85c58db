"""The PostgreSQL server for pages that declare ``<!-- docs-test: postgresql -->``."""

from postgres_server import postgres_url, schemas

__all__ = ["postgres_url", "schemas"]
