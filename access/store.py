"""The account store: local accounts (argon2 hashes) and the append-only audit log, in one SQLite file.

The audit log records who did what and when, from the dashboard and the command line alike: sign-ins and
refusals, page views, exports and downloads, account changes, withdrawn visit outcomes, and every file
loaded or refused, source removed and retention run (`python -m etl`).

Accounts and the audit trail are operational records, not data: they must survive `etl demo` replacing
the warehouse, and the dashboard writes to them (failed attempts, audit rows) while the CLI may write
too. So they live in their own small SQLite file beside the warehouse (`hotspots-accounts.db`), or at
$HOTSPOTS_ACCOUNTS; WAL mode and a busy timeout let several processes write in turn. The file is
created owner-only (0600). Nothing here imports Streamlit: the dashboard and the CLI both call it.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from access import lockout
from access import sso as sso_names
from access.lockout import EVERY_CLIENT
from access.sqlite_file import append_only, now, transaction
from etl.config import beside_warehouse

ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD = 12
FILE_NAME = "hotspots-accounts.db"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))  # verified against for unknown names: same time either way

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_sign_in    TEXT,
    must_change     INTEGER NOT NULL DEFAULT 0,  -- a one-time password: choose a new one before anything else
    sso             INTEGER NOT NULL DEFAULT 0   -- signs in through single sign-on only: no password (hash '')
);
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT,
    rows    INTEGER
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
-- Wrong passwords and the locks they made (access/lockout.py), by the user name as typed, whether or not an
-- account has it: the answer to a sign-in must not say which names exist.
CREATE TABLE IF NOT EXISTS sign_in_locks (
    name         TEXT NOT NULL,
    client       TEXT NOT NULL,               -- an IP address, 'localhost', or '*': every client
    failures     INTEGER NOT NULL DEFAULT 0,  -- wrong passwords in a row since the last sign-in
    locks        INTEGER NOT NULL DEFAULT 0,  -- locks since the last sign-in: the next one lasts longer
    locked_until TEXT,
    last_failed  TEXT NOT NULL,
    PRIMARY KEY (name, client)
);
-- Every wrong password by client, for the throttle; rows older than its window are deleted.
CREATE TABLE IF NOT EXISTS sign_in_failures (
    at     TEXT NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_client ON sign_in_failures (client, at);
""" + append_only("audit_log")


class AccountError(Exception):
    """A problem an admin can act on (unknown user, bad role, weak password); the CLI prints it as one line."""


class AuditNotWritten(Exception):
    """A change was made (rows deleted, an outcome withdrawn) but its audit row could not be written after it.

    The change stands, so the message must say so, never "nothing was changed": `done` says what was done,
    in words to be shown as they are; `path` is the store that refused the row."""

    def __init__(self, done: str, path: str | os.PathLike, cause: BaseException):
        self.done, self.path, self.cause = done, Path(path), cause
        super().__init__(f"{done}, but its audit record could not be written to the audit log {self.path} "
                         f"({failure_reason(cause)}): the change stands; tell whoever keeps the audit log what "
                         "was done, and when")


def failure_reason(exc: BaseException) -> str:
    """Why a store could not be written, in one line: 'PATH: Permission denied', else the error's type and text."""
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"{exc.__class__.__name__}: {exc}"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    failed_attempts: int          # wrong passwords since the last sign-in, counted toward a lock for every client
    locked: bool                  # locked for every client now (a password sign-in is refused wherever it comes from)
    created_at: str
    last_sign_in: str | None
    must_change: bool = False
    sso: bool = False
    locked_until: str | None = None           # when the lock for every client ends
    clients_locked: int = 0                   # clients locked out of this name now (others may still sign in)
    clients_locked_until: str | None = None   # when the last of those locks ends

    @property
    def state(self) -> str:
        """'active', 'locked until …' or 'active; locked for 2 clients until …', for a listing."""
        if self.locked:
            return f"locked until {_shown_time(self.locked_until)}"
        if self.clients_locked:
            plural = "s" if self.clients_locked != 1 else ""
            return (f"active; locked for {self.clients_locked} client{plural} until "
                    f"{_shown_time(self.clients_locked_until)}")
        return "active"


@dataclass(frozen=True)
class SignIn:
    ok: bool
    user: User | None = None
    message: str = ""


def store_path(explicit: str | os.PathLike | None = None, db: str | os.PathLike | None = None) -> Path:
    """`explicit`, else $HOTSPOTS_ACCOUNTS, else hotspots-accounts.db beside the warehouse."""
    return beside_warehouse(explicit, "HOTSPOTS_ACCOUNTS", FILE_NAME, db)


def has_role(role: str | None, needed: str) -> bool:
    """viewer < analyst < admin."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


class Store:
    """The accounts, their sign-in locks and the audit log, for the dashboard and the CLI alike.

    Each call is one short transaction of its own, so several processes can share the file, and a change
    is audited in the same transaction as it is made: none is stored without its audit row, nor audited
    without being stored. A change an admin can't make (a taken name, a short password, no such user)
    raises AccountError, worded to be shown as it is; a sign-in never raises, it returns a SignIn."""

    def __init__(self, path: str | os.PathLike | None = None, db: str | os.PathLike | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None, rules: lockout.Rules | None = None):
        """`clock` (a timezone-aware now) and `rules` (access/lockout.toml) are for tests: locks are timed."""
        self.path = store_path(path, db)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.rules = rules or lockout.rules()

    def connect(self):
        """One short connection; `with store.connect() as con` commits on success, rolls back on error."""
        return transaction(self.path, SCHEMA, self._upgrade)

    def _now(self) -> dt.datetime:
        return self._clock().astimezone(dt.timezone.utc).replace(microsecond=0)

    # --- accounts -----------------------------------------------------------------------------------------

    _COLUMNS = "name, role, created_at, last_sign_in, must_change, sso"

    def _read_users(self, con, name: str | None = None) -> list[User]:
        """Accounts (all, or the one called `name`) with their locks as they stand now."""
        where, params = ("WHERE name = ?", [name]) if name is not None else ("", [])
        rows = con.execute(f"SELECT {self._COLUMNS} FROM users {where} ORDER BY name", params).fetchall()
        locks: dict[str, list[tuple[str, int, str | None]]] = {}
        for lock_name, client, failures, until in con.execute(
                f"SELECT name, client, failures, locked_until FROM sign_in_locks WHERE name IN "
                f"(SELECT name FROM users {where})", params):
            locks.setdefault(lock_name, []).append((client, failures, until))
        at = now(self._now())
        users = []
        for user_name, role, created_at, last_sign_in, must_change, sso in rows:
            held = locks.get(user_name, [])
            every = [(f, u) for c, f, u in held if c == EVERY_CLIENT]
            failures, every_until = every[0] if every else (0, None)
            clients = [u for c, _, u in held if c != EVERY_CLIENT and u and u > at]
            locked = bool(every_until and every_until > at)
            users.append(User(name=user_name, role=role, failed_attempts=failures, locked=locked,
                              created_at=created_at, last_sign_in=last_sign_in, must_change=bool(must_change),
                              sso=bool(sso), locked_until=every_until if locked else None,
                              clients_locked=len(clients), clients_locked_until=max(clients, default=None)))
        return users

    def get(self, name: str) -> User | None:
        with self.connect() as con:
            found = self._read_users(con, name)
        return found[0] if found else None

    def users(self) -> list[User]:
        with self.connect() as con:
            return self._read_users(con)

    def count(self) -> int:
        with self.connect() as con:
            return con.execute("SELECT count(*) FROM users").fetchone()[0]

    @staticmethod
    def _check(name: str, role: str, password: str | None) -> None:
        if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
            raise AccountError("a user name is 1 to 64 letters, digits or . _ - @")
        _check_role(role)
        if password is not None:
            _check_password(password)

    def add(self, name: str, role: str, password: str, *, actor: str | None = None, one_time: bool = False) -> User:
        """A new password account. `one_time`: the password was chosen by someone else (an admin, on the Users page
        or with `etl users add`), who knows it, so its user must choose their own at their first sign-in."""
        self._check(name, role, password)
        digest = _hasher.hash(password)
        with self.connect() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ? OR (sso = 1 AND name = ?)",
                           [name, sso_names.normalise(name)]).fetchone():
                raise AccountError(f"user {name!r} exists already")
            con.execute("INSERT INTO users (name, role, password_hash, created_at, must_change) VALUES (?, ?, ?, ?, ?)",
                        [name, role, digest, self._stamp(), int(one_time)])
            self._audit(con, actor, "user_add", name, {"role": role, **({"one_time": True} if one_time else {})})
        return self.get(name)

    def add_sso(self, name: str, role: str, *, actor: str | None = None) -> User:
        """An account that signs in only through single sign-on (no password): `name` is the identity's
        e-mail address or user principal name (see access/sso.py), stored lower-case."""
        name = sso_names.normalise(name)
        if not sso_names.valid_name(name):
            raise AccountError("a single sign-on name is an e-mail address or user principal name: up to "
                               f"{sso_names.MAX_NAME} letters, digits or . _ - @ + '")
        _check_role(role)
        with self.connect() as con:
            if con.execute("SELECT 1 FROM users WHERE lower(name) = ?", [name]).fetchone():
                raise AccountError(f"user {name!r} exists already")
            con.execute("INSERT INTO users (name, role, password_hash, created_at, sso) VALUES (?, ?, '', ?, 1)",
                        [name, role, self._stamp()])
            self._audit(con, actor, "user_add", name, {"role": role, "sso": True})
        return self.get(name)

    def add_first_admin(self, name: str) -> str | None:
        """A random password for a new admin `name`, only if the store has no account at all (else None)."""
        password = secrets.token_urlsafe(15)
        digest = _hasher.hash(password)
        with self.connect() as con:
            if con.execute("SELECT count(*) FROM users").fetchone()[0]:
                return None
            con.execute("INSERT INTO users (name, role, password_hash, created_at, must_change) "
                        "VALUES (?, 'admin', ?, ?, 1)", [name, digest, self._stamp()])
            self._audit(con, "system", "user_add", name, {"role": "admin", "why": "demo warehouse bootstrap"})
        return password

    @staticmethod
    def _require(con, name: str) -> str:
        """The stored name of account `name` (an SSO account also by any case of its name), else AccountError."""
        row = con.execute("SELECT name FROM users WHERE name = ? UNION ALL "
                          "SELECT name FROM users WHERE sso = 1 AND name = ? LIMIT 1",
                          [name, sso_names.normalise(name)]).fetchone()
        if row is None:
            raise AccountError(f"no user {name!r}")
        return row[0]

    @staticmethod
    def _keep_an_admin(con, name: str, change: str) -> None:
        """Refuse a change (`change`: "remove 'boss'") that would leave the store without an admin: nobody could
        then add, unlock or re-role anyone from the dashboard. Checked inside the change's own transaction, so two
        admins demoting each other at once can't both succeed."""
        (role,) = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
        others = con.execute("SELECT count(*) FROM users WHERE role = 'admin' AND name <> ?", [name]).fetchone()[0]
        if role == "admin" and not others:
            raise AccountError(f"can't {change}: {name!r} is the only admin, and nobody could then manage accounts; "
                               "make another user an admin first")

    def remove(self, name: str, *, actor: str | None = None) -> None:
        with self.connect() as con:
            name = self._require(con, name)
            self._keep_an_admin(con, name, f"remove {name!r}")
            con.execute("DELETE FROM users WHERE name = ?", [name])
            self._audit(con, actor, "user_remove", name, {})

    def set_role(self, name: str, role: str, *, actor: str | None = None) -> None:
        _check_role(role)
        with self.connect() as con:
            name = self._require(con, name)
            if role != "admin":
                self._keep_an_admin(con, name, f"make {name!r} {role_with_article(role)}")
            con.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])
            self._audit(con, actor, "user_set_role", name, {"role": role})

    def _password_account(self, con, name: str) -> tuple[str, str]:
        """(stored name, password hash) of the password account `name`; AccountError for none or an SSO one."""
        name = self._require(con, name)
        (digest, sso) = con.execute("SELECT password_hash, sso FROM users WHERE name = ?", [name]).fetchone()
        if sso:
            raise AccountError(f"{name!r} signs in with single sign-on and has no password")
        return name, digest

    def set_password(self, name: str, password: str, *, actor: str | None = None, one_time: bool = False) -> None:
        """Give `name` a new password. `one_time`: an admin chose it (Users page, `etl users set-password`) and
        knows it, so its user must choose their own at their next sign-in; else (the user choosing their own
        in place of a one-time one) that obligation ends."""
        _check_password(password)
        digest = _hasher.hash(password)
        with self.connect() as con:
            name, old = self._password_account(con, name)
            _refuse_the_old_password(old, password)
            con.execute("UPDATE users SET password_hash = ?, must_change = ? WHERE name = ?",
                        [digest, int(one_time), name])
            self._audit(con, actor, "user_set_password", name, {"one_time": True} if one_time else {})

    def change_password(self, name: str, current: str, new: str, client: str | None = None) -> None:
        """A signed-in user choosing a new password for themselves, with their current one.

        The current password is checked like a sign-in's (throttle, locks, a wrong one counted toward a lock
        for `client`): an unattended session must not become a way to guess it, or to change it without
        knowing it. Audited as a password set by the user themselves."""
        _check_password(new)
        digest = _hasher.hash(new)
        at = self._now()
        with self.connect() as con:
            name, old = self._password_account(con, name)
            checked = self._verify(con, name, current, client, at, wrong="The current password is wrong.",
                                   during="password change")
            if checked.ok:
                _refuse_the_old_password(old, new)
                con.execute("UPDATE users SET password_hash = ?, must_change = 0 WHERE name = ?", [digest, name])
                self._audit(con, name, "user_set_password", name, {"by": "self"})
        if not checked.ok:   # raised after the commit: the wrong password stays counted
            raise AccountError(checked.message)

    def unlock(self, name: str, *, actor: str | None = None) -> None:
        """Lift every lock on `name`, for every client, before it ends by itself, and forget its wrong passwords."""
        with self.connect() as con:
            name = self._require(con, name)
            active = con.execute("SELECT count(*) FROM sign_in_locks WHERE name = ? AND locked_until > ?",
                                 [name, self._stamp()]).fetchone()[0]
            con.execute("DELETE FROM sign_in_locks WHERE name = ?", [name])
            self._audit(con, actor, "user_unlock", name, {"locks": active})

    def authenticate(self, name: str, password: str, client: str | None = None) -> SignIn:
        """Whether `name` may sign in with `password`, built against password guessing: every answer teaches a
        guesser as little as it can, and each refusal a SignIn with a message fit to show, never an exception.

        A name no account has, or a single sign-on account's, is checked against a dummy hash, counted and locked
        exactly like a real one, so neither the answer nor its time says which names exist. A client throttled
        for wrong passwords under any names, or a name locked (access/lockout.toml says when), is refused without
        a look at the password, so guessing on can't find the password behind a lock. Locks are kept per `client`
        (the dashboard gives the browser's IP address, or 'localhost') so that a guesser elsewhere doesn't lock
        the real user out; None, from a caller that can't say, counts toward a lock for every client. Locks and
        refusals are audited, with when a lock ends, so an admin can see the attack."""
        at = self._now()
        client = client[:64] if client is not None else None
        key = name[:sso_names.MAX_NAME]
        with self.connect() as con:
            checked = self._verify(con, name, password, client, at)
            if not checked.ok:
                return checked
            digest = con.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchone()[0]
            if _hasher.check_needs_rehash(digest):
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [_hasher.hash(password), name])
            con.execute("DELETE FROM sign_in_locks WHERE name = ? AND client IN (?, ?)",
                        [key, client or EVERY_CLIENT, EVERY_CLIENT])
            con.execute("UPDATE users SET last_sign_in = ? WHERE name = ?", [now(at), name])
            self._audit(con, name, "sign_in", name, {"client": client} if client is not None else {})
            user = self._read_users(con, name)[0]
        return SignIn(True, user)

    def _verify(self, con, name: str, password: str, client: str | None, at: dt.datetime, *,
                wrong: str = "Wrong user name or password.", during: str | None = None) -> SignIn:
        """Whether `password` is `name`'s, as authenticate() explains: the throttle and the locks first, a wrong
        password counted, and every refusal audited (`during`: what it was for, when not a sign-in) and worded to
        be shown (`wrong`: for a wrong password). A right one changes nothing: that is the caller's to do."""
        key = name[:sso_names.MAX_NAME]
        who = {"client": client} if client is not None else {}
        if during:
            who["during"] = during
        self._forget_old_failures(con, at)
        throttled = self._throttled_until(con, client, at)
        if throttled:
            self._audit(con, name[:64], "sign_in_refused", name[:64],
                        {"why": "too many wrong passwords from this client", "until": now(throttled), **who})
            return SignIn(False, message="Too many failed sign-ins from this computer: try again "
                                         f"{lockout.wait_text(throttled, at)}.")
        lock = self._lock_on(con, key, client, at)
        if lock:
            scope, until = lock
            self._audit(con, name[:64], "sign_in_refused", name[:64],
                        {"why": "locked", "until": now(until), "for": scope, **who})
            return SignIn(False, message=_locked_message(until, at))
        row = con.execute("SELECT password_hash, sso FROM users WHERE name = ?", [name]).fetchone()
        digest = _DUMMY_HASH if row is None or row[1] else row[0]
        try:
            _hasher.verify(digest, password)
            ok = row is not None and not row[1]
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok:
            return SignIn(True)
        failures, locks = self._count_failure(con, key, client, at)
        detail: dict[str, Any] = {"failures": failures, "locked": bool(locks), **who}
        if row is None or row[1]:
            detail["why"] = "unknown user" if row is None else "single sign-on account"
        if locks:
            scope, until = max(locks, key=lambda lock: lock[1])
            detail.update({"until": now(until), "for": scope})
        self._audit(con, name[:64], "sign_in_failed", name[:64], detail)
        if locks:
            return SignIn(False, message=f"{wrong} " + _locked_message(until, at))
        return SignIn(False, message=wrong)

    # --- wrong passwords: throttle and locks (access/lockout.py) ----------------------------------------------

    def _forget_old_failures(self, con, at: dt.datetime) -> None:
        """Drop what no rule looks at any more: throttle rows past its window; wrong passwords and locks older
        than `forget_hours`, with nothing since (a name no account has is forgotten like any other)."""
        con.execute("DELETE FROM sign_in_failures WHERE at <= ?", [now(at - self.rules.throttle_window)])
        con.execute("DELETE FROM sign_in_locks WHERE max(last_failed, coalesce(locked_until, last_failed)) <= ?",
                    [now(at - self.rules.forget_after)])

    def _throttled_until(self, con, client: str | None, at: dt.datetime) -> dt.datetime | None:
        """When `client` may try again, if it has had `throttle_attempts` wrong passwords within the window."""
        if client is None or self.rules.throttle_attempts < 1:
            return None
        row = con.execute("SELECT at FROM sign_in_failures WHERE client = ? AND at > ? ORDER BY at DESC "
                          "LIMIT 1 OFFSET ?", [client, now(at - self.rules.throttle_window),
                                               self.rules.throttle_attempts - 1]).fetchone()
        return dt.datetime.fromisoformat(row[0]) + self.rules.throttle_window if row else None

    @staticmethod
    def _lock_on(con, name: str, client: str | None, at: dt.datetime) -> tuple[str, dt.datetime] | None:
        """The lock that refuses `name` to `client` now ('this client' or 'every client', and its end), if any."""
        row = con.execute("SELECT client, max(locked_until) FROM sign_in_locks WHERE name = ? AND client IN (?, ?) "
                          "AND locked_until > ? GROUP BY client ORDER BY max(locked_until) DESC LIMIT 1",
                          [name, client or EVERY_CLIENT, EVERY_CLIENT, now(at)]).fetchone()
        if row is None:
            return None
        return ("every client" if row[0] == EVERY_CLIENT else "this client"), dt.datetime.fromisoformat(row[1])

    def _count_failure(self, con, name: str, client: str | None, at: dt.datetime
                       ) -> tuple[int, list[tuple[str, dt.datetime]]]:
        """Count a wrong password for `name` from `client`: (wrong passwords in a row from it, the locks it made).

        From a known client it counts for that client, and toward the lock for every client only while that
        client has not been locked out of the name yet: one machine alone never locks a name for everybody."""
        rules = self.rules
        if client is None:
            counted = [(EVERY_CLIENT, rules.attempts)]
        else:
            con.execute("INSERT INTO sign_in_failures (at, client) VALUES (?, ?)", [now(at), client])
            counted = [(client, rules.attempts)]
            own = con.execute("SELECT locks FROM sign_in_locks WHERE name = ? AND client = ?", [name, client]).fetchone()
            if not own or not own[0]:
                counted.append((EVERY_CLIENT, rules.any_client_attempts))
        in_a_row, made = 0, []
        for key, limit in counted:
            row = con.execute("SELECT failures, locks, locked_until FROM sign_in_locks WHERE name = ? AND client = ?",
                              [name, key]).fetchone()
            failures, locks, until = (row[0] + 1, row[1], row[2]) if row else (1, 0, None)
            if key == counted[0][0]:
                in_a_row = failures
            if failures % max(limit, 1) == 0:      # each `limit` in a row since the last sign-in
                locked_until = at + rules.lock_length(locks)
                made.append(("every client" if key == EVERY_CLIENT else "this client", locked_until))
                locks, until = locks + 1, now(locked_until)
            con.execute("INSERT OR REPLACE INTO sign_in_locks (name, client, failures, locks, locked_until, last_failed) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [name, key, failures, locks, until, now(at)])
        return in_a_row, made

    def sso_sign_in(self, name: str | None, subject: str | None = None) -> SignIn:
        """Sign in an identity the provider has already checked: only an SSO account of that name gets in.

        `name` comes from access.sso.identity (None: the provider named nobody usable); `subject` (the
        token's `sub`) goes into the audit row of a refusal. Failed attempts and lockout are the identity
        provider's business, so nothing is counted here; every refusal is audited."""
        refuse = SignIn(False, message="Your account has no access to Hotspots yet: ask a Hotspots administrator "
                                       "to add you.")
        with self.connect() as con:
            if not name:
                actor = f"sso:{subject}"[:80] if subject else "sso"
                self._audit(con, actor, "sign_in_refused", None, {"why": "no usable user name from single sign-on",
                                                                  "method": "sso"})
                return refuse
            row = con.execute("SELECT sso FROM users WHERE name = ?", [name]).fetchone()
            why = "unknown user" if row is None else "not a single sign-on account" if not row[0] else None
            if why:
                self._audit(con, name, "sign_in_refused", name, {"why": why, "method": "sso"})
                return refuse
            con.execute("UPDATE users SET last_sign_in = ? WHERE name = ?", [self._stamp(), name])
            self._audit(con, name, "sign_in", name, {"method": "sso"})
            user = self._read_users(con, name)[0]
        return SignIn(True, user)

    # --- the audit log --------------------------------------------------------------------------------------

    def _stamp(self) -> str:
        return now(self._now())

    def _upgrade(self, con: sqlite3.Connection) -> None:
        """Bring a store made by an older version up to SCHEMA (inside the caller's write transaction).

        An older version locked an account until an administrator unlocked it (users.locked_at); such a lock
        becomes a lock for every client for the first period from now, and the old columns are left unused."""
        columns = {row[1] for row in con.execute("PRAGMA table_info(users)")}
        if "sso" not in columns:
            con.execute("ALTER TABLE users ADD COLUMN sso INTEGER NOT NULL DEFAULT 0")
        if "locked_at" in columns:
            at = self._now()
            con.execute("INSERT OR REPLACE INTO sign_in_locks (name, client, failures, locks, locked_until, last_failed) "
                        "SELECT name, ?, 0, 1, ?, ? FROM users WHERE locked_at IS NOT NULL",
                        [EVERY_CLIENT, now(at + self.rules.lock_length(0)), now(at)])
            con.execute("UPDATE users SET locked_at = NULL, failed_attempts = 0 WHERE locked_at IS NOT NULL")

    def _audit(self, con, actor: str | None, action: str, target: str | None, detail: dict | None,
               rows: int | None = None) -> None:
        con.execute("INSERT INTO audit_log (at, actor, action, target, detail, rows) VALUES (?, ?, ?, ?, ?, ?)",
                    [self._stamp(), actor, action, target, json.dumps(detail or {}, sort_keys=True, default=str), rows])

    def audit(self, actor: str | None, action: str, target: str | None = None, detail: dict | None = None,
              rows: int | None = None) -> None:
        """Append one row to the audit log (rows are never changed or deleted)."""
        with self.connect() as con:
            self._audit(con, actor, action, target, detail, rows)

    def audit_rows(self, since: dt.date | dt.datetime | None = None, limit: int | None = None,
                   action: str | None = None, actor: str | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        sql = "SELECT id, at, actor, action, target, detail, rows FROM audit_log WHERE 1 = 1"
        params: list[Any] = []
        if since is not None:
            if not isinstance(since, dt.datetime):
                since = dt.datetime.combine(since, dt.time(), dt.timezone.utc)
            elif since.tzinfo is None:
                since = since.replace(tzinfo=dt.timezone.utc)
            sql += " AND at >= ?"
            params.append(since.astimezone(dt.timezone.utc).isoformat())
        if action:
            sql += " AND action = ?"
            params.append(action)
        if actor:
            sql += " AND actor = ?"
            params.append(actor)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self.connect() as con:
            cols = ["id", "at", "actor", "action", "target", "detail", "rows"]
            return [dict(zip(cols, r)) for r in con.execute(sql, params)]

    def write_audit_csv(self, out: str | os.PathLike, since: dt.date | dt.datetime | None = None) -> int:
        """The audit log since `since` (a date is from midnight UTC, as `audit_rows` reads it), oldest first, as
        CSV (text a spreadsheet could run is made plain). Its times stay UTC with their offset: unambiguous."""
        rows = list(reversed(self.audit_rows(since)))
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)    # a file written over keeps its old mode: the log is readable by its owner only
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "at", "actor", "action", "target", "detail", "rows"])
            for r in rows:
                writer.writerow([_plain(r[c]) for c in ("id", "at", "actor", "action", "target", "detail", "rows")])
        return len(rows)


def _check_password(password: str) -> None:
    """The rule every password meets, whoever sets it (`users add`, `users set-password`, the dashboard)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def _refuse_the_old_password(digest: str, password: str) -> None:
    """A new password must be new: one a user is told to change isn't changed by choosing it again."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        if _hasher.verify(digest, password):
            raise AccountError("choose a password different from the old one")


def role_with_article(role: str) -> str:
    """'a viewer', 'an analyst', 'an admin': for messages that name a role."""
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")


def _locked_message(until: dt.datetime, at: dt.datetime) -> str:
    """The same words whether or not an account has the name (see Store.authenticate)."""
    return ("Sign-in as this user name is locked after too many failed attempts: try again "
            f"{lockout.wait_text(until, at)}, or ask an administrator to unlock it.")


def _shown_time(stamp: str | None) -> str:
    """'2025-06-01 14:32 UTC' from a stored timestamp, for a listing."""
    if not stamp:
        return "?"
    return dt.datetime.fromisoformat(stamp).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _plain(value):
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
