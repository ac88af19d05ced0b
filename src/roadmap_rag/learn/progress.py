"""A learner's progress: the roadmap sections marked done, kept locally per profile like feedback.

The app names the profile after the learner's choice, or else after an id kept in the page's URL, so
each browser keeps its own progress across app restarts and never sees another's.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from roadmap_rag.errors import ConfigError
from roadmap_rag.files import read_json, write_json
from roadmap_rag.settings import Settings

_PROFILE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
LEARNER = "learner-"  # a profile named after the id in a page's link: learner-<id>


def is_profile(name: str) -> bool:
    """Whether ``name`` can name a profile (and so a file under progress/): 1-64 letters, digits, '-', '_' or
    '.', not starting with '.'."""
    return _PROFILE.fullmatch(name) is not None and not name.startswith(".")


# The profile of a learner who names none: the CLI's `--profile` default and the app's, so both show the same progress.
DEFAULT_PROFILE = "default"


def checked_profile(profile: str) -> str:
    """``profile`` when it can name a profile's files, else a ConfigError that says what a name may hold."""
    if not is_profile(profile):
        raise ConfigError(f"profile {profile!r}: use 1-64 letters, digits, '-', '_' or '.'")
    return profile


def learner_profile(learner_id: str) -> str | None:
    """The profile a page link's learner id names, or None when the id cannot name one (a path, a NUL, over
    64 - len("learner-") characters)."""
    profile = LEARNER + learner_id
    return profile if is_profile(profile) else None


class ProgressStore:
    """Sections done, as (roadmap id, section path) pairs, in ``<data dir>/progress/<profile>.json``."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings, profile: str) -> None:
        self.profile = checked_profile(profile)
        self.path: Path = settings.data_dir / "progress" / f"{profile}.json"

    def done(self) -> set[tuple[str, str]]:
        data = read_json(self.path)
        rows = data.get("done", []) if isinstance(data, dict) else []
        return {(str(r[0]), str(r[1])) for r in rows if isinstance(r, list) and len(r) == 2}

    def mark(self, doc_id: str, section: str, done: bool = True) -> set[tuple[str, str]]:
        with self._lock:
            sections = self.done()
            if done:
                sections.add((doc_id, section))
            else:
                sections.discard((doc_id, section))
            write_json(self.path, {"profile": self.profile, "done": sorted([d, s] for d, s in sections)})
            return sections
