"""The web questionnaire (placeholder until the pages land)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def install(app: FastAPI) -> None:
    """Add the questionnaire pages and their static files to ``app``."""
