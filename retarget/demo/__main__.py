"""``python -m retarget.demo``."""

from . import main

main()
