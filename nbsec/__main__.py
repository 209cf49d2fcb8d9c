"""``python -m nbsec``: the same as the ``nbsec`` command."""

import sys

from nbsec.cli import main

sys.exit(main())
