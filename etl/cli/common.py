"""What every command shares: the `python -m etl` group, which makes the errors an analyst can act on one line
and a non-zero exit; --db and --accounts; printing; and auditing a change or a file that is audited."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from etl.admin import on_screen
from etl.errors import LoadError
from etl.warehouse import WarehouseError

DB_HELP = "Warehouse file (default: $HOTSPOTS_DB, else data/hotspots.duckdb)."
ACCOUNTS_HELP = "Account store (default: $HOTSPOTS_ACCOUNTS, else hotspots-accounts.db beside the warehouse)."


def account_options(command):
    """--accounts and --db: which account store (by default the one beside the warehouse)."""
    command = click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)(command)
    return click.option("--accounts", type=click.Path(dir_okay=False), help=ACCOUNTS_HELP)(command)


def echo(message: str = "", err: bool = False) -> None:
    """Every line these commands print, with control characters shown as escapes (ESC as \\x1b; etl.admin's
    `on_screen`, as `etl rejects` shows raw values). Summaries, notes and errors quote partners' files (cell
    values, headers, sheet and file names), and an escape sequence, carriage return or backspace among them
    would act on the analyst's terminal (clear it, hide a line, fake '0 rejected') rather than be seen. Each
    message is one line: a line break inside one is file content too, and is shown as \\n.

    A reader that has gone (`| head`) stops the printing, not the command: a change already made is still
    audited (`remove` prints before it audits), and the command then ends as a closed pipe ends it."""
    try:
        click.echo(on_screen(message), err=err)
    except BrokenPipeError:
        _reader_gone(err)


# The exit status when the reader of the output went away (`etl rejects | head -1`): 128 + SIGPIPE, what the shell
# reports for any program a closed pipe stops (cat, grep), so `set -o pipefail` scripts see the same as from
# them. Not 0, which would say that everything was printed; not 2, the status of an error to act on.
CLOSED_PIPE_EXIT = 141
_GONE: set[str] = set()   # the streams whose reader went away in this run: "stdout", "stderr"


def _reader_gone(err: bool = False) -> None:
    """Send the rest of the stream whose reader went away to /dev/null: Python's own advice, so that neither a
    later line nor the interpreter's flush at exit raises BrokenPipeError again (or prints "Exception ignored")."""
    stream = sys.stderr if err else sys.stdout
    _GONE.add("stderr" if err else "stdout")
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):   # no file descriptor (a test's capture): nothing left to flush to
        pass
    finally:
        os.close(devnull)


def _flush_output() -> None:
    """Flush what is printed before the command ends, so a reader gone is found here, not at the interpreter's
    exit (where it is an "Exception ignored" message and exit status 120)."""
    for err, stream in ((False, sys.stdout), (True, sys.stderr)):
        try:
            stream.flush()
        except BrokenPipeError:
            _reader_gone(err)
        except (OSError, ValueError):
            pass


def fail(message: str) -> None:
    echo(f"error: {message}", err=True)
    sys.exit(2)


class _Group(click.Group):
    """Turn the errors an analyst can act on into one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        _GONE.clear()
        try:
            result = super().invoke(ctx)
            _flush_output()
        except BrokenPipeError:   # a long listing (`etl rejects | head`): the reader has what it wanted
            _reader_gone()
            sys.exit(CLOSED_PIPE_EXIT)
        except (LoadError, WarehouseError) as exc:
            fail(str(exc))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # an analyst gets one line; a developer sets HOTSPOTS_DEBUG=1 for the traceback
            from access.store import AuditNotWritten

            if isinstance(exc, AuditNotWritten):    # the change stands: never "nothing was changed"
                fail(str(exc))
            if os.environ.get("HOTSPOTS_DEBUG"):
                raise
            if isinstance(exc, OSError) and exc.filename:      # an --out folder that isn't there, a read-only file
                where = Path(exc.filename)
                if isinstance(exc, FileNotFoundError) and not where.parent.exists():
                    fail(f"{where}: the folder {where.parent} does not exist (nothing was changed)")
                fail(f"{where}: {exc.strerror or exc} (nothing was changed)")
            fail(f"unexpected {exc.__class__.__name__}: {exc} (nothing was changed; "
                 f"set HOTSPOTS_DEBUG=1 to see the details)")
        if _GONE:   # a reader went away: whatever the command did stands, but not all it printed was read
            sys.exit(CLOSED_PIPE_EXIT)
        return result


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hotspots ETL: load council HMO registers, reports, victim cases, boundaries and postcodes."""


def cli_actor() -> str:
    """Who the command line is, in the audit log and on what it records (loaded visit outcomes, withdrawals):
    cli:LOGIN, which no dashboard account's name can be (account names hold no ':')."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container): still say it was the command line
        return "cli"


def account_store(accounts: str | None, db: str | None = None):
    from access.store import Store

    return Store(accounts, db)


def audit_log_ready(accounts: str | None, db: str | None, nothing_done: str) -> None:
    """Refuse a change or a file that is audited before making it, if the audit log can't be written now:
    then the refusal's "nothing was done" is true. (One that fails after all is said by `audit_done`.)"""
    from access.store import failure_reason

    store = account_store(accounts, db)
    try:
        with store.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - said in the one line below
        fail(f"the audit log {store.path} can't be written ({failure_reason(exc)}), and this is audited: "
             f"{nothing_done}")


def audit_done(accounts: str | None, db: str | None, done: str, action: str, target: str, detail: dict,
               rows: int | None) -> None:
    """Audit a change already made. If the row can't be written, the change still stands: AuditNotWritten says
    `done` and that the audit misses it, and the command exits non-zero."""
    store = account_store(accounts, db)
    try:
        store.audit(cli_actor(), action, target, detail, rows=rows)
    except Exception as exc:
        from access.store import AuditNotWritten

        raise AuditNotWritten(done, store.path, exc) from exc
