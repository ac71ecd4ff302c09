"""``python -m mmfviewer`` — the same as the ``mmfviewer`` command."""

import sys

from .cli import main

sys.exit(main())
