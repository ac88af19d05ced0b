"""A learner's progress profile names a file under progress/ and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag import Settings
from roadmap_rag.errors import ConfigError
from roadmap_rag.learn.progress import ProgressStore, learner_profile

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("name", ["../../x", "a\x00b", "x" * 65, ".hidden", "learner-abc\n", "", "a/b"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="use 1-64 letters"):
        ProgressStore(Settings(data_dir=tmp_path), name)
    assert not list(tmp_path.rglob("*"))


def test_a_link_id_names_a_profile_up_to_56_characters() -> None:
    assert learner_profile("a1b2c3") == "learner-a1b2c3" and learner_profile("x" * 56)
    assert learner_profile("x" * 57) is None and learner_profile("../../x") is None
    assert learner_profile("abc\n") is None  # '$' once let a trailing newline into the file name
