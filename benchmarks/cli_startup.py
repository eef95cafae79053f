"""Benchmark: how fast the command line starts (issue 16: ``--help`` under 0.3 s, ``check`` of one real return
under 0.45 s on the project machine).

Times, each in a fresh process and as a ratio to ``python -c "import python_calamine"`` measured in the same run
(the floor: an interpreter that loads the workbook library and nothing else):

* ``cmrt-bot --help`` (builds the whole parser: every command module);
* ``cmrt-bot check FILE`` of a real CMRT 6.4 return (read in the isolated reader process, reviewed);
* ``cmrt-bot config check`` of a configuration whose SQLite database is at the code's schema (the database line
  probes it; no mail or Slack configured), made for each checkout by its own ``db upgrade``;
* ``cmrt-bot config check --help`` (the parser of one sub-command).

Bytecode is written and used as in an installed package (``PYTHONDONTWRITEBYTECODE`` is dropped and one warm-up
run precedes the timed ones). ``--baseline CHECKOUT`` times the same commands with another checkout's code.

    .venv/bin/python benchmarks/cli_startup.py [--runs 11] [--file ../shared/cmrt/returned/CMRT_6.4_JX.xlsx]
        [--baseline OTHER_CHECKOUT]

A baseline checkout is made with ``git worktree add /tmp/cmrt-baseline COMMIT`` (it runs with this interpreter).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt"))
TARGETS = {"--help": 0.3, "check FILE": 0.45}


def environment(tree: pathlib.Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CMRT_CONFIG", "CMRT_STORE_URL")}
    env["PYTHONPATH"] = str(tree)
    return env


def current_config(tree: pathlib.Path, directory: pathlib.Path) -> pathlib.Path:
    """A configuration (SQLite only) whose database ``tree``'s own ``db upgrade`` brought to its schema."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{directory / "cmrt-bot.db"}"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "db", "upgrade"], cwd=tree,
                          env=environment(tree), capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"db upgrade in {tree} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return config


def wall(argv: list[str], tree: pathlib.Path, runs: int) -> float:
    """Median wall time of ``argv`` run ``runs`` times from ``tree`` (after one warm-up run)."""
    env = environment(tree)
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, check=False)
        if index:
            times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--file", default=str(CORPUS / "returned" / "CMRT_6.4_JX.xlsx"))
    parser.add_argument("--baseline", metavar="CHECKOUT", help="also time the commands with this checkout's code")
    args = parser.parse_args()
    workbook = pathlib.Path(args.file).resolve()
    if not workbook.exists():
        print(f"no workbook at {workbook}", file=sys.stderr)
        return 2
    python = sys.executable
    trees = [("", ROOT)] + ([("baseline", pathlib.Path(args.baseline).resolve())] if args.baseline else [])
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="cmrt-cli-startup-"))
    configs = {tree: current_config(tree, scratch / str(index)) for index, (_, tree) in enumerate(trees)}
    commands = {
        "--help": lambda tree: [python, "-m", "bot", "--help"],
        "check FILE": lambda tree: [python, "-m", "bot", "check", str(workbook)],
        "config check": lambda tree: [python, "-m", "bot", "--config", str(configs[tree]), "config", "check"],
        "config check --help": lambda tree: [python, "-m", "bot", "config", "check", "--help"],
    }
    try:
        print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each (median); file {workbook.name}")
        floor = wall([python, "-c", "import python_calamine"], ROOT, args.runs)
        floor_label = 'python -c "import python_calamine"'
        print(f"{floor_label:<36} {floor * 1000:7.0f} ms   1.0x")
        failed = False
        for name, argv in commands.items():
            for label, tree in trees:
                took = wall(argv(tree), tree, args.runs)
                target = TARGETS.get(name)
                verdict = "" if target is None or label else (" PASS" if took < target else " FAIL")
                failed = failed or verdict == " FAIL"
                shown = f"{label + ': ' if label else ''}cmrt-bot {name}"
                print(f"{shown:<36} {took * 1000:7.0f} ms  {took / floor:4.1f}x"
                      + (f"   (target < {target * 1000:.0f} ms){verdict}" if target and not label else ""))
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
