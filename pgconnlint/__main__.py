from pgconnlint.cli import main

raise SystemExit(main())
