"""What a run found: summary.json and the table of summary.txt."""

from __future__ import annotations

import argparse
import re
import statistics
from typing import Any

from .runner import COMMANDS, FAIL_KINDS


def _norm_error(line: str) -> str:
    line = re.sub(r"'fuzz-\d+-\d+'", "'NAME'", line)
    line = re.sub(r"0x[0-9a-fA-F]+", "0xN", line)
    line = re.sub(r"\d[\d,]*", "N", line)
    return line[:200]


def summarize(results: list[dict[str, Any]], args: argparse.Namespace, elapsed: float,
              interrupted: bool, skipped: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    per_cmd: dict[str, Any] = {}
    failures = []
    errors: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in COMMANDS}
    unclear = []
    ctrl_out = []
    families: dict[str, dict[str, int]] = {}
    for rec in results:
        fam = families.setdefault(rec["family"], {"cases": 0, "failing_cases": 0})
        fam["cases"] += 1
        if any(r["fail"] for r in rec["runs"].values()):
            fam["failing_cases"] += 1
    for cmd in args.commands:
        runs = [(rec, rec["runs"][cmd]) for rec in results if cmd in rec["runs"]]
        rss = [r["rss_kib"] / 1024 for _, r in runs]
        walls = [r["wall"] for _, r in runs]
        exits: dict[str, int] = {}
        for _, r in runs:
            key = "hang" if r["hang"] else (f"signal {r['signal']}" if r["signal"] else str(r["exit"]))
            exits[key] = exits.get(key, 0) + 1
        per_cmd[cmd] = {
            "runs": len(runs),
            "failing_runs": sum(1 for _, r in runs if r["fail"]),
            "failures": {k: sum(1 for _, r in runs if k in r["fail"]) for k in FAIL_KINDS},
            "exit_statuses": dict(sorted(exits.items())),
            "max_rss_mib": round(max(rss), 1) if rss else None,
            "median_rss_mib": round(statistics.median(rss), 1) if rss else None,
            "max_wall_s": round(max(walls), 2) if walls else None,
            "median_wall_s": round(statistics.median(walls), 2) if walls else None,
        }
        for rec, r in runs:
            if r["fail"]:
                failures.append({"index": rec["index"], "family": rec["family"], "command": cmd,
                                 "argv": r["argv"], "kinds": r["fail"], "exit": r["exit"], "signal": r["signal"],
                                 "rss_mib": round(r["rss_kib"] / 1024, 1), "wall_s": r["wall"],
                                 "desc": rec["desc"], "saved": rec.get("saved"),
                                 "stderr_tail": r["stderr_tail"][-8:],
                                 "other_fuzz_segments": r.get("other_fuzz_segments", [])})
            elif r["exit"] in (1, 2):
                lines = [ln for ln in r["stderr_tail"] if ln.strip()]
                last = lines[-1] if lines else "(empty stderr)"
                key = _norm_error(last)
                slot = errors[cmd].setdefault(key, {"count": 0, "example": last, "index": rec["index"],
                                                    "family": rec["family"]})
                slot["count"] += 1
                # Non-JSON listen prints a status line first; anything else is extra.
                extra = [ln for ln in lines if not ln.startswith("listening on ")]
                if len(extra) > 1 or not last.startswith("mmfviewer: ") or len(last) > 300:
                    unclear.append({"index": rec["index"], "command": cmd, "exit": r["exit"], "stderr": lines[-5:]})
            if r["stdout_ctrl"]:
                ctrl_out.append({"index": rec["index"], "family": rec["family"], "command": cmd,
                                 "json": rec["json"], "bytes": r["stdout_ctrl"], "head": r["stdout_head"][:160]})
    versions: dict[str, list[int]] = {}
    for rec in results:
        versions.setdefault(rec.get("code", "unknown"), []).append(rec["index"])
    summary = {
        "code_versions": {k: [min(v), max(v), len(v)] for k, v in versions.items()},
        "seed": args.seed, "count": args.count, "cases_run": len(results), "interrupted": interrupted,
        "skipped": skipped,
        "elapsed_s": round(elapsed, 1), "timeout_s": args.timeout, "rss_limit_mib": args.rss_limit_mib,
        "families": families, "commands": per_cmd, "failures": failures,
        "error_messages": {c: sorted(v.values(), key=lambda s: -s["count"]) for c, v in errors.items()},
        "unclear_errors": unclear, "stdout_control_bytes": ctrl_out,
    }
    # ------------------------------------------------------------ the table
    lines = [f"mmfviewer fuzz: seed {args.seed}, {len(results)}/{args.count} cases, "
             f"{elapsed:.0f} s{' (INTERRUPTED)' if interrupted else ''}, timeout {args.timeout:g} s, "
             f"RSS limit {args.rss_limit_mib} MiB",
             "code tested: " + ", ".join(f"{k} ({len(v)} cases)" for k, v in versions.items())
             + ("  WARNING: the checkout changed during the run" if len(versions) > 1 else ""), ""]
    head = ("command", "runs", "failing", "signal", "hang", "traceback", "rss>lim", "max RSS MiB",
            "median RSS MiB", "max wall s", "exit statuses")
    rows = [head]
    for cmd, s in per_cmd.items():
        f = s["failures"]
        rows.append((cmd, str(s["runs"]), str(s["failing_runs"]), str(f["signal"]), str(f["hang"]),
                     str(f["traceback"]), str(f["rss"]), str(s["max_rss_mib"]), str(s["median_rss_mib"]),
                     str(s["max_wall_s"]), " ".join(f"{k}:{v}" for k, v in s["exit_statuses"].items())))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append("")
    lines.append("families: " + ", ".join(f"{k} {v['cases']} ({v['failing_cases']} failing)"
                                          for k, v in sorted(families.items())))
    lines.append("")
    if skipped:
        lines.append(f"cases not run: {len(skipped)}")
        for sk in skipped:
            lines.append(f"  #{sk['index']}: {sk['why'][:200]}")
        lines.append("")
    lines.append(f"failing runs: {len(failures)}")
    for fl in failures:
        lines.append(f"- case {fl['index']} [{fl['family']}] {fl['command']}: {','.join(fl['kinds'])} "
                     f"(exit {fl['exit']}, rss {fl['rss_mib']} MiB, {fl['wall_s']} s) saved {fl['saved']}")
        lines.append(f"    made: {'; '.join(fl['desc'])}")
        for ln in fl["stderr_tail"][-4:]:
            lines.append(f"    | {ln[:300]}")
    lines.append("")
    lines.append("one-line errors (exit 1/2, not failures), most common first:")
    for cmd, msgs in summary["error_messages"].items():
        for m in msgs[:25]:
            lines.append(f"  {cmd:6} x{m['count']:<4} [{m['family']} #{m['index']}] {m['example'][:240]}")
    lines.append("")
    lines.append(f"errors that are not one clear line: {len(unclear)}")
    for u in unclear[:20]:
        lines.append(f"  #{u['index']} {u['command']} exit {u['exit']}: {u['stderr']}")
    lines.append("")
    lines.append(f"runs whose stdout has raw control bytes: {len(ctrl_out)}")
    for c in ctrl_out[:20]:
        lines.append(f"  #{c['index']} [{c['family']}] {c['command']}{' --json' if c['json'] else ''}: "
                     f"bytes {c['bytes'][:10]} head {c['head'][:100]!r}")
    return summary, "\n".join(lines) + "\n"
