from ipmpd.cli import main

raise SystemExit(main())
