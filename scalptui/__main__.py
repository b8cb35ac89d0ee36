from scalptui.cli import main

raise SystemExit(main())
