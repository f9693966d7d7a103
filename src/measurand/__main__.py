"""``python -m measurand``: the command-line interface."""

from measurand.cli import main

if __name__ == "__main__":
    main()
