"""Servers collect young objects less often and never rescan what was loaded at start."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chat.server import YOUNG_COLLECTION_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_a_server_freezes_what_it_loaded_and_collects_young_objects_less_often() -> None:
    loaded = ["something the process holds from its start"]
    assert gc.get_threshold()[0] < YOUNG_COLLECTION_THRESHOLD
    assert any(o is loaded for o in gc.get_objects())  # a collection would scan it
    tune_garbage_collector()
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
    assert not any(o is loaded for o in gc.get_objects())  # frozen: none will
