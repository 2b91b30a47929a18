"""Load, compile and run a pack: answers in, an Assessment out (and the caches)."""
