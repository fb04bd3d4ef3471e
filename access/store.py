"""The account store: local accounts (argon2 hashes) and the append-only audit log, in one SQLite file.

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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from access import sso as sso_names
from access.sqlite_file import append_only, now, transaction
from etl.config import beside_warehouse

ROLES = ("viewer", "analyst", "admin")
MAX_FAILURES = 5
MIN_PASSWORD = 12
FILE_NAME = "hotspots-accounts.db"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))  # verified against for unknown names: same time either way

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at       TEXT,
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
""" + append_only("audit_log")


class AccountError(Exception):
    """A problem an admin can act on (unknown user, bad role, weak password); the CLI prints it as one line."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    failed_attempts: int
    locked: bool
    created_at: str
    last_sign_in: str | None
    must_change: bool = False
    sso: bool = False


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
    def __init__(self, path: str | os.PathLike | None = None, db: str | os.PathLike | None = None):
        self.path = store_path(path, db)

    def connect(self):
        """One short connection; `with store.connect() as con` commits on success, rolls back on error."""
        return transaction(self.path, SCHEMA, _upgrade)

    # --- accounts -----------------------------------------------------------------------------------------

    @staticmethod
    def _user(row) -> User:
        return User(name=row[0], role=row[1], failed_attempts=row[2], locked=row[3] is not None,
                    created_at=row[4], last_sign_in=row[5], must_change=bool(row[6]), sso=bool(row[7]))

    _COLUMNS = "name, role, failed_attempts, locked_at, created_at, last_sign_in, must_change, sso"

    def get(self, name: str) -> User | None:
        with self.connect() as con:
            row = con.execute(f"SELECT {self._COLUMNS} FROM users WHERE name = ?", [name]).fetchone()
        return self._user(row) if row else None

    def users(self) -> list[User]:
        with self.connect() as con:
            return [self._user(r) for r in con.execute(f"SELECT {self._COLUMNS} FROM users ORDER BY name")]

    def count(self) -> int:
        with self.connect() as con:
            return con.execute("SELECT count(*) FROM users").fetchone()[0]

    @staticmethod
    def _check(name: str, role: str, password: str | None) -> None:
        if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
            raise AccountError("a user name is 1 to 64 letters, digits or . _ - @")
        _check_role(role)
        if password is not None and len(password) < MIN_PASSWORD:
            raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")

    def add(self, name: str, role: str, password: str, *, actor: str | None = None) -> User:
        self._check(name, role, password)
        digest = _hasher.hash(password)
        with self.connect() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ? OR (sso = 1 AND name = ?)",
                           [name, sso_names.normalise(name)]).fetchone():
                raise AccountError(f"user {name!r} exists already")
            con.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                        [name, role, digest, now()])
            self._audit(con, actor, "user_add", name, {"role": role})
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
                        [name, role, now()])
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
                        "VALUES (?, 'admin', ?, ?, 1)", [name, digest, now()])
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

    def remove(self, name: str, *, actor: str | None = None) -> None:
        with self.connect() as con:
            name = self._require(con, name)
            con.execute("DELETE FROM users WHERE name = ?", [name])
            self._audit(con, actor, "user_remove", name, {})

    def set_role(self, name: str, role: str, *, actor: str | None = None) -> None:
        _check_role(role)
        with self.connect() as con:
            name = self._require(con, name)
            con.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])
            self._audit(con, actor, "user_set_role", name, {"role": role})

    def set_password(self, name: str, password: str, *, actor: str | None = None) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
        digest = _hasher.hash(password)
        with self.connect() as con:
            name = self._require(con, name)
            (old, sso) = con.execute("SELECT password_hash, sso FROM users WHERE name = ?", [name]).fetchone()
            if sso:
                raise AccountError(f"{name!r} signs in with single sign-on and has no password")
            with contextlib.suppress(VerificationError, InvalidHashError):
                if _hasher.verify(old, password):
                    raise AccountError("choose a password different from the old one")
            con.execute("UPDATE users SET password_hash = ?, must_change = 0 WHERE name = ?", [digest, name])
            self._audit(con, actor, "user_set_password", name, {})

    def unlock(self, name: str, *, actor: str | None = None) -> None:
        with self.connect() as con:
            name = self._require(con, name)
            con.execute("UPDATE users SET failed_attempts = 0, locked_at = NULL WHERE name = ?", [name])
            self._audit(con, actor, "user_unlock", name, {})

    def authenticate(self, name: str, password: str) -> SignIn:
        """Check a password; five failures in a row lock the account until an admin unlocks it."""
        wrong = SignIn(False, message="Wrong user name or password.")
        with self.connect() as con:
            row = con.execute("SELECT password_hash, locked_at, failed_attempts, sso FROM users WHERE name = ?",
                              [name]).fetchone()
            if row is None or row[3]:
                with contextlib.suppress(VerificationError, InvalidHashError):
                    _hasher.verify(_DUMMY_HASH, password)
                why = "unknown user" if row is None else "single sign-on account"  # no password to try, no lockout
                self._audit(con, name[:64], "sign_in_failed", name[:64], {"why": why})
                return wrong
            digest, locked_at, failures, _ = row
            if locked_at is not None:
                self._audit(con, name, "sign_in_refused", name, {"why": "locked"})
                return SignIn(False, message="This account is locked after too many failed attempts: "
                                             "ask an administrator to unlock it.")
            try:
                _hasher.verify(digest, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                failures += 1
                locked = failures >= MAX_FAILURES
                con.execute("UPDATE users SET failed_attempts = ?, locked_at = ? WHERE name = ?",
                            [failures, now() if locked else None, name])
                self._audit(con, name, "sign_in_failed", name, {"failures": failures, "locked": locked})
                if locked:
                    return SignIn(False, message="Wrong password. The account is now locked after "
                                                 f"{MAX_FAILURES} failed attempts: ask an administrator to unlock it.")
                return wrong
            if _hasher.check_needs_rehash(digest):
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [_hasher.hash(password), name])
            con.execute("UPDATE users SET failed_attempts = 0, last_sign_in = ? WHERE name = ?", [now(), name])
            self._audit(con, name, "sign_in", name, {})
        return SignIn(True, self.get(name))

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
            row = con.execute("SELECT locked_at, sso FROM users WHERE name = ?", [name]).fetchone()
            why = ("unknown user" if row is None else "not a single sign-on account" if not row[1]
                   else "locked" if row[0] is not None else None)
            if why:
                self._audit(con, name, "sign_in_refused", name, {"why": why, "method": "sso"})
                return refuse
            con.execute("UPDATE users SET last_sign_in = ? WHERE name = ?", [now(), name])
            self._audit(con, name, "sign_in", name, {"method": "sso"})
        return SignIn(True, self.get(name))

    # --- the audit log --------------------------------------------------------------------------------------

    @staticmethod
    def _audit(con, actor: str | None, action: str, target: str | None, detail: dict | None,
               rows: int | None = None) -> None:
        con.execute("INSERT INTO audit_log (at, actor, action, target, detail, rows) VALUES (?, ?, ?, ?, ?, ?)",
                    [now(), actor, action, target, json.dumps(detail or {}, sort_keys=True, default=str), rows])

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

    def write_audit_csv(self, out: str | os.PathLike, since: dt.date | None = None) -> int:
        """The audit log since `since`, oldest first, as CSV (text a spreadsheet could run is made plain)."""
        rows = list(reversed(self.audit_rows(since)))
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)    # a file written over keeps its old mode: the log is readable by its owner only
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "at", "actor", "action", "target", "detail", "rows"])
            for r in rows:
                writer.writerow([_plain(r[c]) for c in ("id", "at", "actor", "action", "target", "detail", "rows")])
        return len(rows)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")


def _upgrade(con: sqlite3.Connection) -> None:
    """Bring a store made by an older version up to SCHEMA (inside the caller's write transaction)."""
    columns = {row[1] for row in con.execute("PRAGMA table_info(users)")}
    if "sso" not in columns:
        con.execute("ALTER TABLE users ADD COLUMN sso INTEGER NOT NULL DEFAULT 0")


def _plain(value):
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
