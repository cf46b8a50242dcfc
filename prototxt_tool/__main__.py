"""Allow `python -m prototxt_tool`, the same entry point as the `dwsep` script."""

from prototxt_tool.cli import main

if __name__ == "__main__":
    main()
