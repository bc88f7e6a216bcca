"""Training throughput of SGD vs DP-SGD (ghost clipping and Opacus's default hooks), side by side.

Same as ``dprob bench``; see :mod:`dprob_utils.cli.bench`.
"""

import sys

from dprob_utils.cli.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
