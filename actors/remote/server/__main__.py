"""``python -m actors.remote.server``: see :mod:`actors.remote.server`."""

import sys

from . import main

sys.exit(main())
