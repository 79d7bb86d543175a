from mud.cli import main

raise SystemExit(main())
