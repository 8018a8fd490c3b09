"""``python -m loadtest``: the load test and the benchmark without the ``calle`` command."""

import sys

from loadtest.command import main

sys.exit(main())
