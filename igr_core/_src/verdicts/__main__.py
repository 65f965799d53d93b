"""``python -m igr_core._src.verdicts lock|check|hash [ID ...]``: the declarations' lock (see
:mod:`igr_core._src.verdicts.declarations`)."""

from igr_core._src.verdicts.declarations import main

raise SystemExit(main())
