"""`python -m offchain.ledger ...` runs the ledger commands without the rest of `offchain`."""

import sys

from offchain.ledger.cli import main

sys.exit(main())
