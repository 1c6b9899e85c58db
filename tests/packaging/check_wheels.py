"""Build every distribution's wheel and check its entry points and ``py.typed``, that
``tidings-core`` stays minimal (no command line, no click), and that every wheel carries
the LICENSE, project URLs, classifiers and its README as a Markdown long description.
Then install from the clone exactly as the README's installation section says, with plain
pip in a fresh venv, and run the README's quick start with it.

Run as ``python tests/packaging/check_wheels.py OUT_DIR``; exits non-zero on a problem.
"""

from __future__ import annotations

import configparser
import email.parser
import os
import re
import shlex
import subprocess
import sys
import venv
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
README_OF = {
    "tidings": ROOT / "README.md",
    **{
        f"tidings_{name.removeprefix('adapter-')}": ROOT / "packages" / name / "README.md"
        for name in PACKAGES
    },
}
PROJECT_URLS = {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}
CLASSIFIERS = {
    "Development Status :: 3 - Alpha",
    "Intended Audience :: Developers",
    "Programming Language :: Python :: 3.11",
    "Typing :: Typed",
}


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


def metadata_problems(wheel: Path) -> list[str]:
    """What is wrong with a wheel's license file, URLs, classifiers and description."""
    found: list[str] = []
    distribution = wheel.name.split("-")[0]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        license_name = next((n for n in names if n.endswith(".dist-info/licenses/LICENSE")), None)
        if license_name is None:
            found.append(f"{wheel.name}: no LICENSE file")
        elif archive.read(license_name) != (ROOT / "LICENSE").read_bytes():
            found.append(f"{wheel.name}: its LICENSE differs from the repository's")
    if metadata.get("License-Expression") != "MIT":
        found.append(f"{wheel.name}: License-Expression is {metadata.get('License-Expression')!r}")
    urls = {value.split(",", 1)[0].strip() for value in metadata.get_all("Project-URL") or []}
    if not urls >= PROJECT_URLS:
        found.append(f"{wheel.name}: project URLs {sorted(PROJECT_URLS - urls)} are missing")
    classifiers = set(metadata.get_all("Classifier") or [])
    if not classifiers >= CLASSIFIERS:
        found.append(f"{wheel.name}: classifiers {sorted(CLASSIFIERS - classifiers)} are missing")
    if metadata.get("Description-Content-Type") != "text/markdown":
        found.append(f"{wheel.name}: the long description is not declared as Markdown")
    readme = README_OF.get(distribution)
    if readme is None:
        return [*found, f"{wheel.name}: no README is known for it"]
    found += description_problems(wheel.name, str(metadata.get_payload()), readme)
    return found


RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#)[^)\s]+\)")
REPOSITORY_LINK = re.compile(r"\]\(https://github\.com/tidings/tidings/blob/main/([^)#\s]+)")


def description_problems(wheel: str, description: str, readme: Path) -> list[str]:
    """The long description is the README, line for line, with every relative link
    pointed at a file that exists in the repository (PyPI shows it away from them)."""
    found: list[str] = []
    expected = readme.read_text(encoding="utf-8").strip().splitlines()
    lines = description.strip().splitlines()
    if len(lines) != len(expected) or lines[:1] != expected[:1]:
        found.append(f"{wheel}: the long description is not {readme.relative_to(ROOT)}")
    for link in RELATIVE_LINK.findall(description):
        found.append(f"{wheel}: the long description keeps a relative link {link}")
    for target in REPOSITORY_LINK.findall(description):
        if not (ROOT / target).exists():
            found.append(f"{wheel}: the long description links to a missing file {target}")
    return found


def problems(wheels: list[Path]) -> list[str]:
    """What is wrong with the built wheels; empty when all is well."""
    found: list[str] = []
    by_name = {wheel.name.split("-")[0]: wheel for wheel in wheels}
    for wheel in wheels:
        found += metadata_problems(wheel)
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


def readme_pip_command() -> list[str]:
    """The command the README gives to install from a clone with plain pip."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^pip install (\./packages/\S+ )+\.(?=\s)", text, re.MULTILINE)
    if found is None:
        raise SystemExit("README.md: no `pip install ./packages/... .` command to check")
    return shlex.split(found[0])


def install_problems(out_dir: Path) -> list[str]:
    """Run the README's pip command in a fresh venv, then the README's quick start."""
    env_dir = out_dir / "pip-venv"
    venv.create(env_dir, with_pip=True, clear=True)
    python = env_dir / "bin" / "python"
    command = readme_pip_command()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TIDINGS_", "VIRTUAL_ENV"))
    }
    step = subprocess.run(
        [str(python), "-m", *command, "--quiet", "--disable-pip-version-check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if step.returncode != 0:
        return [f"README's `{shlex.join(command)}` failed in a fresh venv:\n{step.stderr[-3000:]}"]
    quick_start = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert quick_start is not None
    work = out_dir / "quick-start"
    work.mkdir(exist_ok=True)
    step = subprocess.run(
        [str(python), "-c", quick_start[1]],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if step.returncode != 0:
        return [f"the quick start failed after the README's pip install:\n{step.stderr[-3000:]}"]
    listed = subprocess.run(
        [str(env_dir / "bin" / "tidings"), "adapters"],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0 or not {"memory://", "sqlite://"} <= set(listed.stdout.split()):
        return [
            f"`tidings adapters` after the README's pip install:\n{listed.stdout}{listed.stderr}"
        ]
    return []


def main(out_dir: str) -> int:
    wheels = build(Path(out_dir))
    errors = problems(wheels)
    if "--no-install" not in sys.argv:
        errors += install_problems(Path(out_dir))
    for error in errors:
        print(error, file=sys.stderr)
    print(f"checked {len(wheels)} wheels: {'ok' if not errors else f'{len(errors)} problems'}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
