"""Writing outputs safely: atomic files, sets published whole, and one CSV/JSON number format.

Every file redeploy writes goes through `redeploy.io.atomic` (a temporary sibling moved
into place); every command's set of files through `redeploy.io.publish` (a staging folder
published as one set under the output folder's lock, with a manifest, `redeploy.io.manifest`);
every table through `redeploy.io.text` (one CSV writer, one float format).
"""

from redeploy.io.atomic import (
    atomic_path,
    check_out_dir,
    make_folder,
    write_all_atomic,
    write_atomic,
    write_with,
)
from redeploy.io.lock import CONTROL, WAIT_ENV
from redeploy.io.manifest import SetCheck, check_sets
from redeploy.io.publish import Claim, claim_output, published, staged_output
from redeploy.io.text import DECIMALS, csv_text, json_text, jsonable

__all__ = [
    "CONTROL",
    "DECIMALS",
    "WAIT_ENV",
    "Claim",
    "SetCheck",
    "atomic_path",
    "check_out_dir",
    "check_sets",
    "claim_output",
    "csv_text",
    "json_text",
    "jsonable",
    "make_folder",
    "published",
    "staged_output",
    "write_all_atomic",
    "write_atomic",
    "write_with",
]
