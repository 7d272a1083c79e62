"""``python -m wizard``: runs the command line (wizard.cli), the one importer of it."""

import sys

from wizard.cli import main

sys.exit(main())
