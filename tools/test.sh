#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then lint (ruff, import-linter's
# contracts, mypy) and test.
# System packages: headless Chromium + driver (browser tests), GDAL tools (validate_gpkg.py,
# ogrinfo) and QGIS (style checks), all from Debian. Python extras from pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
   || ! command -v ogrinfo >/dev/null || ! [ -x /usr/bin/qgis_process.bin ] \
   || ! /usr/bin/python3 -c "import osgeo_utils" 2>/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver gdal-bin python3-gdal qgis >/dev/null
fi
python -m pip install -q -e ".[test]"
ruff check .
ruff format --check .
lint-imports
mypy redeploy
python -m pytest "$@"
