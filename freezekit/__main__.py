import sys

from freezekit.cli import main

sys.exit(main())
