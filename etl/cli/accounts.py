"""`etl users …` and `etl audit`: dashboard accounts, and the audit log written as CSV."""
from __future__ import annotations

import sys

import click

from etl.cli.common import account_options, account_store, cli_actor, echo, fail, main
from etl.uk_time import uk_day_start


def _accounts(call):
    """Run an account change; an AccountError is one line and exit status 2."""
    from access.store import AccountError

    try:
        return call()
    except AccountError as exc:
        fail(str(exc))


@main.group()
def users() -> None:
    """Dashboard accounts: add, remove, set-role, set-password, unlock, list."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--sso", is_flag=True, help="NAME signs in through single sign-on ([auth] in .streamlit/secrets.toml): "
                                          "their e-mail address or user principal name; no password.")
@click.option("--one-time", is_flag=True, help="NAME must choose their own password at their first sign-in: for an "
                                               "account you set up for someone else, who should not keep yours.")
@account_options
def users_add(name, role, password_stdin, sso, one_time, accounts, db) -> None:
    """Add user NAME with ROLE (viewer, analyst or admin).

    The password is kept unless --one-time: the first admin is usually set up here by the person who will use
    it, and the Users page makes every password an admin chooses for someone else one-time."""
    store = account_store(accounts, db)
    if sso:
        if password_stdin:
            fail("a single sign-on account has no password: leave out --password-stdin")
        user = _accounts(lambda: store.add_sso(name, role, actor=cli_actor()))
        echo(f"added {user.name} ({role}, single sign-on) to {store.path}")
        return
    password = _read_password(password_stdin)
    _accounts(lambda: store.add(name, role, password, actor=cli_actor(), one_time=one_time))
    echo(f"added {name} ({role}) to {store.path}" +
         (f"; {name} chooses their own password at their first sign-in" if one_time else ""))


def _read_password(from_stdin: bool) -> str:
    """A password someone sets for a user: the first line of standard input, or typed twice, unseen."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("remove")
@click.argument("name")
@account_options
def users_remove(name, accounts, db) -> None:
    """Remove user NAME."""
    _accounts(lambda: account_store(accounts, db).remove(name, actor=cli_actor()))
    echo(f"removed {name}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "analyst", "admin"]))
@account_options
def users_set_role(name, role, accounts, db) -> None:
    """Give user NAME the role ROLE."""
    from access.store import role_with_article

    _accounts(lambda: account_store(accounts, db).set_role(name, role, actor=cli_actor()))
    echo(f"{name} is now {role_with_article(role)}")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@account_options
def users_set_password(name, password_stdin, accounts, db) -> None:
    """Give user NAME a new password, which they must change at their next sign-in (a forgotten password, or
    one somebody else may know). Single sign-on accounts have no password."""
    password = _read_password(password_stdin)
    _accounts(lambda: account_store(accounts, db).set_password(name, password, actor=cli_actor(), one_time=True))
    echo(f"set a new password for {name}: they must choose their own at their next sign-in")


@users.command("unlock")
@click.argument("name")
@account_options
def users_unlock(name, accounts, db) -> None:
    """Unlock user NAME now, for every client, after too many failed sign-ins (a lock also ends by itself)."""
    _accounts(lambda: account_store(accounts, db).unlock(name, actor=cli_actor()))
    echo(f"unlocked {name}")


@users.command("list")
@account_options
def users_list(accounts, db) -> None:
    """Every account: name, role, lock state, failed sign-ins, last sign-in."""
    rows = account_store(accounts, db).users()
    if not rows:
        echo("no accounts yet: add one with `python -m etl users add NAME --role admin`")
        return
    table = [["name", "role", "signs in with", "state", "failed", "last sign-in"]] + [
        [u.name, u.role, "single sign-on" if u.sso else "password", u.state,
         str(u.failed_attempts), u.last_sign_in or "never"]
        for u in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        echo("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


@main.command("audit")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day to include, from midnight UK time as the Audit page counts it (default: everything).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@account_options
def audit(since, out, accounts, db) -> None:
    """Export the audit log as CSV: sign-ins, page views, exports and downloads, account changes, withdrawn visit
    outcomes, and every file loaded or refused (etl load, etl demo), source removed and retention run."""
    store = account_store(accounts, db)
    count = store.write_audit_csv(out, uk_day_start(since.date()) if since else None)
    store.audit(cli_actor(), "audit_export", out, {"since": since.date().isoformat() if since else None}, rows=count)
    echo(f"wrote {count:,} audit row(s) to {out}")
