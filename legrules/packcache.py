"""Moved to :mod:`legrules.run.packcache`; this path stays because it was documented."""

from legrules.run.packcache import cache_key, compiled_pack

__all__ = ["cache_key", "compiled_pack"]
