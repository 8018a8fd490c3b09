"""``python -m evaluation``: ``calle eval`` without the ``calle`` command."""

import sys

from evaluation.command import main

sys.exit(main())
