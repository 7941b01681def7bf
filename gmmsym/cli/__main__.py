import sys

from gmmsym.cli.main import main

sys.exit(main())
