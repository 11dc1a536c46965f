"""Make the shared test helpers in this folder (``_cli``) importable from every sub-folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
