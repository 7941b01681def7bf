"""``python -m gmmsym``: the same command line as ``gmmsym`` (:func:`gmmsym.cli.main.main`)."""

import sys

from gmmsym.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
