"""Banners, verdict tables, the claims ledger and glue. See :mod:`igr_core._src.report`."""
from igr_core._src.report import (
    PROFILES, VERDICTS, Claim, banner, fmt_sci, gather_claims, glue, glued, repo_root, results_dir, slope_verdict, show_markdown, slopes_text, table_markdown,
    verdict_table,
)

__all__ = ["VERDICTS", "PROFILES", "Claim", "repo_root", "results_dir", "banner", "verdict_table",
           "table_markdown", "show_markdown", "gather_claims", "glue", "glued", "fmt_sci", "slope_verdict", "slopes_text"]
