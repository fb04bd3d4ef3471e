"""`etl demo`: synthetic input files loaded through the real loaders into a fresh warehouse, each load audited."""
from __future__ import annotations

from pathlib import Path

import click

from etl.cli import load_audit
from etl.cli.common import account_options, echo, main


class _ScaleParam(click.ParamType):
    """`--scale`: a whole number, or a named scale from etl/demo/scales.toml ('national')."""

    name = "N|national"

    def convert(self, value, param, ctx):
        from etl.demo import Scale

        text = str(value).strip().lower()
        try:
            Scale.of(text)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return int(text) if text.isdigit() else text


@main.command()
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same data.")
@click.option("--scale", type=_ScaleParam(), default="1", show_default=True,
              help="Multiply the volumes: a whole number, or 'national' (500k licences, 5M reports, 100k cases; "
                   "a few GB, so give it its own --out and --db, e.g. under data/bench/).")
@click.option("--out", type=click.Path(file_okay=False), default="data/demo", show_default=True,
              help="Where the synthetic input files are written.")
@account_options
def demo(seed: int, scale: int | str, out: str, accounts: str | None, db: str | None) -> None:
    """Write synthetic input files and load them through the real loaders into a fresh warehouse; each file's
    load is audited."""
    import datetime as dt

    from etl.admin import build_demo
    from etl.warehouse import Warehouse

    started = dt.datetime.now()    # the clock `loads.started_at` is stamped with
    try:
        lines = build_demo(db, seed=seed, scale=scale, out=Path(out))
    except Exception:  # the new warehouse is dropped: only the file that failed is audited (its load id is the build's)
        tried = load_audit.loads_since(Warehouse(db).demo_build_path, started) or []
        load_audit.audit_loads(accounts, db, [r for r in tried if r["status"] == "failed"])
        raise
    for line in lines:
        echo(line)
    loads = load_audit.loads_since(db, started)
    if loads is None:
        echo(f"warning: the demo's loads could not be read back from {Warehouse(db).path}: the audit log has no "
             "row for them; the demo warehouse is ready", err=True)
        return
    written = {p.name for p in Path(out).iterdir()}   # not a load someone ran on the new warehouse since
    load_audit.audit_loads(accounts, db, [r for r in loads if r["file"] in written])
