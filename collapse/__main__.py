"""``python -m model_collapse`` is the ``collapse`` command."""

from model_collapse.cli import main

raise SystemExit(main())
