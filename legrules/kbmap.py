"""Moved to :mod:`legrules.authoring.kbmap`; ``python -m legrules.kbmap`` still works."""

from legrules.authoring.kbmap import main, render, rows

__all__ = ["main", "render", "rows"]

if __name__ == "__main__":
    main()
