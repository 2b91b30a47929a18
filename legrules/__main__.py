"""``python -m legrules`` is the ``legrules`` command."""

from legrules.cli import main

if __name__ == "__main__":
    main()
