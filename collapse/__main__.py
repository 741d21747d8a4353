from collapse.cli import main

raise SystemExit(main())
