"""Write redeploy/data/basemap_encoded.json: the shipped basemap simplified and encoded once.

The maps draw the shipped basemap from this file instead of encoding its 241 countries on
every run (`redeploy.render.basemap`). Rerun it, from the repository root, whenever
``geodata/basemap.geojson`` or the basemap's encoding settings change::

    python tools/encode_basemap.py          # write the file
    python tools/encode_basemap.py --check  # exit 1 if the file is stale

Same basemap, same settings -> same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from redeploy.layers import read_layers  # noqa: E402
from redeploy.render.basemap import ENCODED, encoded_file  # noqa: E402

TARGET = REPO / "redeploy" / "data" / ENCODED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    text = encoded_file(read_layers(REPO / "geodata", kinds=["basemap"])["basemap"])
    if args.check:
        current = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.relative_to(REPO)} is {'current' if current else 'stale'}")
        return 0 if current else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
