"""Build every distribution's wheel and check its entry points and ``py.typed``, and that
``tidings-core`` stays minimal (no command line, no click).

Run as ``python tests/packaging/check_wheels.py OUT_DIR``; exits non-zero on a problem.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "tidings_core": ("tidings", {}),
    "tidings_cli": ("tidings_cli", {"console_scripts": {"tidings"}}),
    "tidings_memory": ("tidings_memory", {"tidings.adapters": {"memory"}}),
    "tidings_sqlite": ("tidings_sqlite", {"tidings.adapters": {"sqlite"}}),
    "tidings_postgres": ("tidings_postgres", {"tidings.adapters": {"postgresql"}}),
    "tidings_testkit": ("tidings_testkit", {"pytest11": {"tidings"}}),
}
PACKAGES = ["core", "cli", "adapter-memory", "adapter-sqlite", "adapter-postgres", "testkit"]


def build(out_dir: Path) -> list[Path]:
    """Build the wheels of every package and of the root distribution."""
    for source in [*(ROOT / "packages" / name for name in PACKAGES), ROOT]:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "uv",
                "build",
                "--quiet",
                "--wheel",
                "--out-dir",
                str(out_dir),
                str(source),
            ],
            check=True,
        )
    return sorted(out_dir.glob("*.whl"))


def problems(wheels: list[Path]) -> list[str]:
    """What is wrong with the built wheels; empty when all is well."""
    found: list[str] = []
    by_name = {wheel.name.split("-")[0]: wheel for wheel in wheels}
    for distribution, (package, groups) in EXPECTED.items():
        wheel = by_name.get(distribution)
        if wheel is None:
            found.append(f"{distribution}: no wheel was built")
            continue
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            if f"{package}/py.typed" not in names:
                found.append(f"{wheel.name}: {package}/py.typed is missing")
            entry_file = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
            parser = configparser.ConfigParser()
            if entry_file is not None:
                parser.read_string(archive.read(entry_file).decode())
            if distribution == "tidings_core":
                metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
                requires = [
                    line.split(":", 1)[1].strip().lower()
                    for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:")
                ]
                if any(name.startswith("click") for name in requires):
                    found.append(f"{wheel.name}: tidings-core must not depend on click")
                if parser.has_section("console_scripts"):
                    found.append(f"{wheel.name}: the tidings command belongs to tidings-cli")
            for group, entries in groups.items():
                declared = set(parser[group]) if parser.has_section(group) else set()
                if not entries <= declared:
                    found.append(f"{wheel.name}: entry points {sorted(entries)} not in [{group}]")
    if "tidings" not in by_name:
        found.append("tidings: the batteries-included wheel was not built")
    return found


def main(out_dir: str) -> int:
    wheels = build(Path(out_dir))
    errors = problems(wheels)
    for error in errors:
        print(error, file=sys.stderr)
    print(f"checked {len(wheels)} wheels: {'ok' if not errors else f'{len(errors)} problems'}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
