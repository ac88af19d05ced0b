"""The hashed lock files in requirements/ agree with pyproject.toml (CONTRIBUTING.md, "The lock").

scripts/setup.sh installs from these files with --require-hashes, so a dependency that pyproject.toml names and
the lock lacks, a pin outside pyproject's range, or an entry without a hash would fail the install or install
something other than what pyproject.toml says. Refresh with `make lock`. Reads files only: no network.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SELF = "roadmap-rag (pyproject.toml)"  # how pip-compile names pyproject.toml in a `# via` annotation

# Each lock file and the extras it installs (scripts/setup.sh's EXTRAS).
SETS: dict[str, tuple[str, ...]] = {"base": (), "dev": ("dev",), "test": ("dev", "llamacpp")}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def parse_lock(text: str) -> tuple[dict[str, Entry], list[str]]:
    """pip-compile's output: `name==version \\`, indented `--hash=sha256:...` lines, then `# via` annotations."""
    entries: dict[str, Entry] = {}
    problems: list[str] = []
    current: Entry | None = None
    for raw in text.splitlines():
        line = raw.strip().removesuffix("\\").strip()
        if not line:
            continue
        if line.startswith("#"):
            if not raw.startswith(" "):  # a header or section comment ends the entry above it
                current = None
                continue
            note = line.lstrip("#").strip()
            note = "" if note == "via" else note.removeprefix("via ").strip()
            if current is not None and note:
                current.via.add(note)
            continue
        if line.startswith("--hash="):
            if current is None or not HASH.fullmatch(line):
                problems.append(f"stray or malformed hash line: {line}")
            else:
                current.hashes.append(line)
            continue
        if line.startswith("-"):
            problems.append(f"an option in the lock: {line}")
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if match is None:
            problems.append(f"not an exact pin: {line}")
            current = None
            continue
        current = Entry(match.group(2))
        entries[normalize(match.group(1))] = current
    return entries, problems


def requirements_for(extras: tuple[str, ...]) -> list[Requirement]:
    specs = list(PROJECT["dependencies"])
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def load(name: str) -> dict[str, Entry]:
    path = LOCKS / f"{name}.txt"
    if not path.is_file():
        pytest.fail(f"no lock file {path.relative_to(ROOT)}: run `make lock` (scripts/lock.sh)")
    entries, problems = parse_lock(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.name}: {problems}"
    assert entries, f"{path.name} pins nothing"
    return entries


@pytest.mark.parametrize("name", [*SETS, "pip"])
def test_every_entry_is_an_exact_pin_with_a_hash(name: str) -> None:
    unhashed = [pkg for pkg, entry in load(name).items() if not entry.hashes]
    assert not unhashed, f"requirements/{name}.txt: entries without a hash: {unhashed}"


@pytest.mark.parametrize("name", SETS)
def test_every_pyproject_dependency_is_locked_within_its_range(name: str) -> None:
    entries = load(name)
    missing, outside = [], []
    for req in requirements_for(SETS[name]):
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        entry = entries.get(normalize(req.name))
        if entry is None:
            missing.append(str(req))
        elif not req.specifier.contains(Version(entry.version), prereleases=True):
            outside.append(f"{req} (locked {entry.version})")
    assert not missing, f"requirements/{name}.txt lacks {missing}: run `make lock`"
    assert not outside, f"requirements/{name}.txt pins outside pyproject.toml's range: {outside}: run `make lock`"


@pytest.mark.parametrize("name", SETS)
def test_no_entry_is_there_for_a_dependency_pyproject_no_longer_names(name: str) -> None:
    wanted = {normalize(req.name) for req in requirements_for(SETS[name])}
    stale = [pkg for pkg, entry in load(name).items() if SELF in entry.via and pkg not in wanted]
    assert not stale, f"requirements/{name}.txt still locks {stale} for pyproject.toml, which no longer names them"


def test_the_sets_pin_one_version_each() -> None:
    """base ⊂ dev ⊂ test, at the same versions: `make setup` after `make setup-test` changes nothing."""
    base, dev, test = load("base"), load("dev"), load("test")
    for small, large, label in ((base, dev, "base/dev"), (dev, test, "dev/test")):
        differ = {pkg: (e.version, large[pkg].version if pkg in large else None) for pkg, e in small.items()}
        differ = {pkg: pair for pkg, pair in differ.items() if pair[0] != pair[1]}
        assert not differ, f"{label} disagree: {differ}"


def test_the_demo_lock_has_no_test_tools() -> None:
    base, dev = load("base"), load("dev")
    for tool in ("pytest", "ruff", "mypy", "hypothesis", "playwright", "llama-cpp-python"):
        assert tool not in base, f"requirements/base.txt (make demo) installs {tool}"
    assert "llama-cpp-python" not in dev, "requirements/dev.txt installs the llamacpp extra"


def test_torch_is_the_local_cpu_build() -> None:
    """PyPI's torch is a multi-GB CUDA build; the lock names the CPU wheel this machine's pip finds (find-links)."""
    for name in SETS:
        torch = load(name)["torch"]
        assert Version(torch.version).local == "cpu", f"requirements/{name}.txt: torch {torch.version}"


def test_setuptools_is_locked_for_the_editable_install() -> None:
    """setup.sh installs the project with --no-build-isolation, so the build backend comes from the lock."""
    backend = [Requirement(spec) for spec in PYPROJECT["build-system"]["requires"]]
    for name in SETS:
        entries = load(name)
        for req in backend:
            if req.name == "wheel":  # setuptools >= 70.1 builds wheels itself
                continue
            assert normalize(req.name) in entries, f"requirements/{name}.txt lacks {req.name}"
            assert req.specifier.contains(entries[normalize(req.name)].version), f"{name}: {req}"


def test_setup_installs_from_the_lock_with_hashes() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    for name in (*SETS, "pip"):
        assert f"requirements/{name}.txt" in setup
    assert setup.count("--require-hashes") >= 2
    assert "--no-deps" in setup


def test_the_parser_catches_what_it_should() -> None:
    entries, problems = parse_lock(
        "#\n# header\n#\n"
        "a==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n    # via roadmap-rag (pyproject.toml)\n"
        "b>=2\n"
        "c==3\n    # via\n    #   a\n    #   roadmap-rag (pyproject.toml)\n"
        "--index-url https://example.invalid/simple\n"
    )
    assert set(entries) == {"a", "c"}
    assert entries["a"].hashes and entries["a"].via == {SELF}
    assert not entries["c"].hashes and entries["c"].via == {"a", SELF}
    assert problems == ["not an exact pin: b>=2", "an option in the lock: --index-url https://example.invalid/simple"]
