import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import copy_demo, make_fakebin


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "host")


@pytest.fixture
def fakebin(tmp_path: Path) -> Path:
    return make_fakebin(tmp_path / "bin")
