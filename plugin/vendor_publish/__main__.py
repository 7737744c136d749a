"""Allow ``python -m vendor_publish``."""

from vendor_publish.cli import main

raise SystemExit(main())
