"""Markdown tables from bench/results.json, for docs/bench.md:
`python -m bench.report [results.json] [--suite register|inspections|penalties|publicity|all]`."""

import argparse
import importlib
import json
import sys
from pathlib import Path

from bench.run import RESULTS, SUITES


def render(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Measured {results['date']} on {results['institutions']:,} institutions, {results['runs']} runs per "
        f"page; {machine['cpus']} × {machine['cpu']}, {machine['memory_gb']} GB, PostgreSQL "
        f"{machine['postgresql'].split()[0]} (shared_buffers {machine['shared_buffers']}), Python "
        f"{machine['python']}, Django {machine['django']}; load average at start "
        f"{results.get('load_average_at_start')}, at end {machine.get('load_average')}.",
        "",
        "| page | user | median ms | p95 ms | queries | SQL floor ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in results["pages"]:
        lines.append(f"| {row['page']} | {row['user']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['queries']} | {row['floor_ms']:.1f} |")
    imported = results.get("import")
    if imported:
        lines += [
            "",
            f"Ledger import of {imported['rows']:,} rows (median of {imported['runs']} runs): "
            f"upload + validate {imported['validate_median_ms']:,} ms "
            f"({imported['validate_queries']} queries), "
            f"confirm + import {imported['import_median_ms']:,} ms ({imported['import_queries']} queries), "
            f"{imported['rows_per_second']:,} rows/s.",
        ]
    if results.get("seed_seconds"):
        lines += ["", f"Seeding took {results['seed_seconds']} s."]
    return "\n".join(lines)


def render_suite(results: dict, suite: str) -> str:
    if suite == "register":
        return render(results) if "pages" in results else "(no register results)"
    module = importlib.import_module(f"bench.{suite}")
    keys = [key for key in (suite, f"{suite}_with_proposed_indexes") if key in results]
    return "\n\n".join(module.markdown(results[key]) for key in keys) or f"(no {suite} results)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=RESULTS)
    parser.add_argument("--suite", choices=SUITES + ("all",), default="register")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = json.loads(args.path.read_text())
    suites = SUITES if args.suite == "all" else (args.suite,)
    print("\n\n".join(render_suite(results, suite) for suite in suites))
    return 0


if __name__ == "__main__":
    sys.exit(main())
