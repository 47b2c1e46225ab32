"""``python -m sk_deepsense``: the same as the ``sk-deepsense`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # not when imported (e.g. by pytest's doctest collection)
    sys.exit(main())
