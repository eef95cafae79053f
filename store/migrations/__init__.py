"""Alembic migrations, shipped inside the package so ``cmrt-bot db upgrade`` works from an installed wheel."""
