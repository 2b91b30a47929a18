"""``legrules serve``: the engine as an HTTP service (JSON API under /v1) and a web
questionnaire, on FastAPI and uvicorn (the optional ``legrules[serve]`` extra).

>>> from legrules.serve import ServeConfig, create_app     # doctest: +SKIP
>>> app = create_app(ServeConfig(audit_log=Path("decisions.db")))  # doctest: +SKIP

Only this package imports fastapi, starlette, uvicorn and jinja2 (checked by
import-linter); the library below it knows nothing of HTTP.
"""

from __future__ import annotations

from legrules.serve.app import create_app
from legrules.serve.state import PackState, ReloadResult, ServeConfig

__all__ = ["PackState", "ReloadResult", "ServeConfig", "create_app"]
