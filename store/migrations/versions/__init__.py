"""Alembic revision scripts (a package so setuptools ships them in the wheel)."""
