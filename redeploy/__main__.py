"""``python -m redeploy``: the `redeploy` command line."""

from redeploy.cli import main

if __name__ == "__main__":
    main()
