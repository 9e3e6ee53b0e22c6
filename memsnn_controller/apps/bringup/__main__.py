import sys

from memsnn_controller.apps.bringup.cli import main

sys.exit(main())
