"""Writing outputs safely: atomic files, staged folders, and one CSV/JSON number format.

Every file redeploy writes goes through `redeploy.io.atomic` (a temporary sibling moved
into place, or a staging folder published when a command succeeds) and every table through
`redeploy.io.text` (one CSV writer, one float format).
"""

from redeploy.io.atomic import (
    atomic_path,
    check_out_dir,
    make_folder,
    staged_output,
    write_all_atomic,
    write_atomic,
    write_with,
)
from redeploy.io.text import DECIMALS, csv_text, json_text, jsonable

__all__ = [
    "DECIMALS",
    "atomic_path",
    "check_out_dir",
    "csv_text",
    "json_text",
    "jsonable",
    "make_folder",
    "staged_output",
    "write_all_atomic",
    "write_atomic",
    "write_with",
]
