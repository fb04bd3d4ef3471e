"""What a load did, in the words an analyst reads at the end of every load."""
from __future__ import annotations

from dataclasses import dataclass, field

# Kinds whose load replaces what its source loaded before (an HMO register, a level of boundaries): what
# a load of them must be told, and what several files or sheets under one --source would undo.
REPLACED_BY_SOURCE = ("hmo", "boundaries")


@dataclass
class LoadSummary:
    kind: str
    source: str
    file_name: str
    load_id: int | None = None
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_ungeocoded: int = 0
    rows_ended: int = 0
    rows_collapsed: int = 0
    dropped_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str | None = None
    source_given: bool = True      # False: the source is the file's name, as no --source said otherwise
    # The notes on rounded positions (a 4-figure grid reference, 52.6, -0.2), said before the rows are placed: among
    # `warnings`, and taken out of them where every placed row is outside the area (`tabular`), which says more.
    rounding_notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.status == "already_loaded":
            return [f"{self.file_name}: already loaded ({self.message}); nothing changed."]
        out = [f"Loaded {self.kind} from {self.file_name} (source: {self.source}, load {self.load_id})",
               f"  read {self.rows_read:,} · loaded {self.rows_loaded:,} · updated {self.rows_updated:,} · "
               f"unchanged {self.rows_unchanged:,} · rejected {self.rows_rejected:,} · "
               f"not geocoded {self.rows_ungeocoded:,}"]
        if self.rows_ended:
            out.append(f"  {self.rows_ended:,} licence(s) no longer on this register: ended, history kept")
        if self.rows_collapsed:
            out.append(f"  {self.rows_collapsed:,} duplicate row(s) collapsed into the last one with the same reference")
        if self.dropped_columns:
            out.append("  columns not stored (identifying or not needed): " + ", ".join(self.dropped_columns))
        out += [f"  note: {w}" for w in self.warnings]
        if self.rows_rejected and self.kind != "visits":  # visit files are short: the CLI lists every reject
            out.append(f"  see the rejected rows: python -m etl rejects --load {self.load_id}")
        return out
