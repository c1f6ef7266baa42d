from kiro_tui.cli import main

raise SystemExit(main())
