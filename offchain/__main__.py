import sys

from offchain.cli import main

sys.exit(main())
