import sys

from igr_core.book import main

sys.exit(main())
