"""Run every code block of README.md as pasted, in order, in a temporary copy of the repository
(the way doc tests run the Rust ones), so that the README cannot drift from what works.

- ``sh`` blocks run with bash (``set -eu``, as an interactive shell: a pipe into ``head`` is fine), with ``microscore`` on the PATH (the
  README says to install it or to write ``cargo run --release --`` instead) and the test
  virtualenv's ``python`` / ``pip`` first on the PATH;
- ``python`` blocks run with the test virtualenv's interpreter;
- ``c`` and ``cpp`` blocks are fragments: each is compiled inside a ``main`` against the
  committed headers and the built library, and run;
- ``rust`` blocks are compiled and run by ``cargo test`` (doc tests of ``src/lib.rs``): counted
  here, not run again.

A block preceded by ``<!-- readme-test: skip: REASON -->`` is not run (the quick start, which
clones the repository and runs the test command itself); the reason is printed.

Usage: python tests/readme_blocks.py [--keep] (from the repository root, after the release
build, the C library and the Python package are built: the test command's order).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```([a-z+]*)[^\n]*\n(.*?)^```", re.S | re.M)
SKIP = re.compile(r"<!--\s*readme-test:\s*skip:\s*(.*?)\s*-->\s*$", re.S)

C_PRELUDE = "#include <math.h>\n#include <stdio.h>\n#include \"microscore.h\"\nint main(void) {\n"
CPP_PRELUDE = "#include <cmath>\n#include <iostream>\n#include \"microscore.hpp\"\nint main() {\n"


def blocks(text: str) -> list[tuple[int, str, str, str | None]]:
    """(line, language, code, skip reason) of every fenced block."""
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip().splitlines()[-1:] or [""]
        skip = SKIP.search(before[0])
        out.append((line, m.group(1), m.group(2), skip.group(1) if skip else None))
    return out


def copy_repository(dest: Path) -> None:
    """The tracked files, as a fresh clone has them; `target` is the repository's own (its
    builds are reused)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode().split("\0")
    for f in filter(None, files):
        src, dst = ROOT / f, dest / f
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (dest / "target").symlink_to(ROOT / "target")


def run(line: int, lang: str, code: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if lang == "sh":
        return subprocess.run(["bash", "-c", "set -eu\n" + code], cwd=work, env=env, capture_output=True, text=True)
    if lang == "python":
        return subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    compiler, prelude, ext = ("gcc", C_PRELUDE, "c") if lang == "c" else ("g++", CPP_PRELUDE, "cpp")
    source = work / f"readme_block_{line}.{ext}"
    source.write_text(prelude + code + "\nreturn 0;\n}\n")
    exe = work / "target" / f"readme_block_{line}"
    lib = ROOT / "target" / "release"
    std = "-std=c11" if lang == "c" else "-std=c++17"
    build = subprocess.run(
        [compiler, std, "-Wall", "-I", str(work / "include"), str(source), "-L", str(lib), "-lmicroscore",
         f"-Wl,-rpath,{lib}", "-lm", "-o", str(exe)],
        cwd=work, env=env, capture_output=True, text=True,
    )
    if build.returncode != 0:
        return build
    try:
        return subprocess.run([str(exe)], cwd=work, env=env, capture_output=True, text=True)
    finally:
        exe.unlink(missing_ok=True)


def main() -> int:
    keep = "--keep" in sys.argv
    text = (ROOT / "README.md").read_text()
    work = Path(tempfile.mkdtemp(prefix="microscore-readme-"))
    copy_repository(work)
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, str(ROOT / "target" / "release"), env.get("PATH", "")])
    env["PYSPARK_PYTHON"] = sys.executable
    env.pop("CI", None)  # the blocks are what a user runs, not a CI job
    failures = 0
    for line, lang, code, skip in blocks(text):
        label = f"README.md:{line} ({lang or 'text'})"
        if lang in ("", "text", "json"):
            continue
        if lang.startswith("rust"):
            print(f"{label}: run by cargo test (doc tests)")
            continue
        if skip is not None:
            print(f"{label}: skipped: {skip}")
            continue
        started = time.monotonic()
        result = run(line, lang, code, work, env)
        seconds = time.monotonic() - started
        if result.returncode == 0:
            print(f"{label}: ok in {seconds:.1f} s")
        else:
            failures += 1
            print(f"{label}: FAILED (exit {result.returncode}) in {seconds:.1f} s")
            print("---- block ----\n" + code + "---- stdout ----\n" + result.stdout[-3000:] + "---- stderr ----\n" + result.stderr[-3000:])
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{failures} README block(s) failed" if failures else "every README block ran")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
