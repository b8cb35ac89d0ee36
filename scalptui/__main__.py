from scalptui.entry import main

raise SystemExit(main())
