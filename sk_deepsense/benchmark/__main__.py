"""``python -m sk_deepsense.benchmark``: the same as ``sk-deepsense benchmark``."""

from . import main

raise SystemExit(main())
