"""``python -m dprob_utils``: the ``dprob`` command."""

import sys

from dprob_utils.cli.main import main

sys.exit(main())
