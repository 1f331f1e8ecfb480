"""``python -m rmsopt``: the demonstration, ``problems`` and ``compare``; see ``--help``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
