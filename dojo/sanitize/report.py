"""What a run did, by kind and by file: printed, and written as report.json beside the outputs.

The report travels with the sanitized files, so it holds no original value: file names are the
sanitized names, problems are given as line numbers, and values only as counts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .detect import SENSITIVE_KINDS

MAX_LINE_NUMBERS = 20


@dataclass
class FileReport:
    name: str  # the sanitized name, relative to the output folder
    format: str = ""
    bytes: int = 0
    lines: int = 0
    invalid_utf8_lines: int = 0
    json_fallback_lines: int = 0
    json_fallback_at: list[int] = field(default_factory=list)
    note: str = ""
    refused: str = ""

    def add_note(self, text: str) -> None:
        """Notes accumulate: a gzip file can also hold a stray quote or a broken document."""
        self.note = f"{self.note}; {text}" if self.note else text


@dataclass
class RunReport:
    secret: str  # "given" or "random"
    shift: str | None
    jobs: int
    files: list[FileReport] = field(default_factory=list)
    replaced: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    distinct: dict[str, int] = field(default_factory=dict)
    timestamps_shifted: int = 0
    seconds: float = 0.0
    # Symbolic links inside input folders: not followed (one could point anywhere, /etc/shadow),
    # and said so, not skipped silently.
    symlinks: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def refused(self) -> list[FileReport]:
        return [f for f in self.files if f.refused]

    def to_dict(self) -> dict:
        mb_s = self.bytes / 1e6 / self.seconds if self.seconds else None
        return {
            "version": 1,
            "secret": self.secret,
            "shift": self.shift,
            "jobs": self.jobs,
            "seconds": round(self.seconds, 3),
            "bytes": self.bytes,
            "mb_per_s": round(mb_s, 1) if mb_s else None,
            "replaced": {k: self.replaced[k] for k in SENSITIVE_KINDS if self.replaced[k]},
            "distinct": {k: v for k, v in self.distinct.items() if v},
            "kept": {k: self.kept[k] for k in SENSITIVE_KINDS if self.kept[k]},
            "timestamps_shifted": self.timestamps_shifted,
            "invalid_utf8_lines": sum(f.invalid_utf8_lines for f in self.files),
            "json_fallback_lines": sum(f.json_fallback_lines for f in self.files),
            "refused": len(self.refused),
            "symlinks_not_followed": self.symlinks,
            "files": [asdict(f) for f in self.files],
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def render(self) -> str:
        done = [f for f in self.files if not f.refused]
        lines = [
            f"sanitized {len(done)} file(s), {self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s"
            + (f" ({self.bytes / 1e6 / self.seconds:.1f} MB/s)" if self.seconds > 0 else "")
        ]
        if any(self.replaced.values()):
            lines.append(f"  {'kind':<14}{'replaced':>12}{'distinct':>10}{'kept':>8}")
            for kind in SENSITIVE_KINDS:
                if self.replaced[kind] or self.kept[kind]:
                    distinct = self.distinct.get(kind)
                    lines.append(
                        f"  {kind:<14}{self.replaced[kind]:>12,}{distinct if distinct is not None else '-':>10}"
                        f"{self.kept[kind]:>8,}"
                    )
        else:
            lines.append("  nothing sensitive found")
        if self.shift:
            lines.append(f"  timestamps shifted by {self.shift}: {self.timestamps_shifted:,}")
        for f in self.files:
            if f.invalid_utf8_lines:
                lines.append(f"  {f.name}: {f.invalid_utf8_lines:,} line(s) not UTF-8, passed through byte for byte")
            if f.json_fallback_lines:
                at = ", ".join(map(str, f.json_fallback_at))
                lines.append(f"  {f.name}: {f.json_fallback_lines:,} line(s) not JSON, scrubbed as text (line {at})")
            if f.note:
                lines.append(f"  {f.name}: {f.note}")
            if f.refused:
                lines.append(f"  refused {f.name}: {f.refused}")
        for link in self.symlinks:
            lines.append(
                f"  not followed: {link} is a symbolic link; sanitize what it points to directly if you mean it"
            )
        if self.secret == "random":
            lines.append("  no --secret: pseudonyms differ from run to run (set --secret or DOJO_SANITIZE_SECRET)")
        return "\n".join(lines)
