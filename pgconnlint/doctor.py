"""`pgconnlint doctor`: what a running PostgreSQL server is doing, read through psycopg 3, and the checks
PGC501-PGC504 on it (docs and examples: rules/PGC5nn.md). It only reads: SELECTs in read-only transactions.

Reading (`read`) returns a `Live` snapshot; `diagnose` turns it, and the repository's static budget when a
PATH is given, into findings. Rendering is in report/doctor.py.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field

from pgconnlint import catalogue, neutral
from pgconnlint.budget import Budget, Term, show
from pgconnlint.findings import Finding, finding
from pgconnlint.model import Default, Location, cite

# The doctor family, checked against the catalogue by tests/test_catalogue.py (DOCTOR_RULES).
USAGE, IDLE, MAX_CONNECTIONS, LIMITS = "PGC501", "PGC502", "PGC503", "PGC504"
SETTINGS = (
    "max_connections",
    "superuser_reserved_connections",
    "reserved_connections",  # PostgreSQL 16+
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",  # PostgreSQL 14+
    "statement_timeout",
)
IDLE_STATES = ("idle in transaction", "idle in transaction (aborted)")
NOWHERE = Location("", 0)  #: a finding about the server alone, with no place in the repository
INSTALL_HINT = "pgconnlint doctor needs psycopg 3: pip install 'pgconnlint[live]'"


class DoctorError(Exception):
    """A one-line reason the server could not be read; the CLI prints it and exits 2."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    value: int
    source: str  #: pg_settings.source: "default", "configuration file", "command line", …
    file: str | None = None  #: sourcefile:sourceline, visible with pg_read_all_settings
    pending_restart: bool = False
    file_value: str | None = None  #: what the configuration files now hold (pg_file_settings), when readable
    file_value_at: str | None = None

    def cite(self) -> str:
        """`20 [pg_settings: command line]`, like model.cite for the repository's values."""
        source = self.source
        if self.file:
            auto = self.file.rpartition(":")[0].endswith("postgresql.auto.conf")
            source = f"ALTER SYSTEM, {self.file}" if auto else f"{self.source} {self.file}"
        return f"{self.value} [pg_settings: {source}]"

    def cite_ms(self) -> str:
        shown = "0 (off)" if self.value == 0 else f"{self.value} ms"
        return f"{shown} [pg_settings: {self.source}]"


@dataclass(frozen=True, slots=True)
class Session:
    """A row of pg_stat_activity that holds a connection slot: a client backend."""

    pid: int
    database: str | None
    role: str | None
    application: str  #: "" when the client set none
    client: str | None  #: "local" for a Unix socket; None when hidden
    state: str | None  #: None when hidden (another role's session, without pg_read_all_stats)
    idle_s: float | None  #: seconds since the state last changed
    transaction_s: float | None  #: seconds since the transaction started
    own: bool  #: the doctor's own session
    hidden: bool  #: type, state and address hidden: counted as a client because it has a database and a role

    @property
    def idle_in_transaction(self) -> bool:
        return self.state in IDLE_STATES


@dataclass(frozen=True, slots=True)
class Limit:
    """A role's or a database's CONNECTION LIMIT (rolconnlimit, datconnlimit; -1 = none, not listed)."""

    kind: str  #: "role" or "database"
    name: str
    limit: int
    connected: int
    superuser: bool = False  #: superusers are exempt from both limits

    @property
    def column(self) -> str:
        return "pg_roles.rolconnlimit" if self.kind == "role" else "pg_database.datconnlimit"


@dataclass(frozen=True, slots=True)
class Live:
    target: str  #: `127.0.0.1:5432/postgres as postgres`: never the password
    version: str
    version_num: int
    user: str
    database: str
    superuser: bool
    reads_all_stats: bool  #: pg_read_all_stats (in pg_monitor): other roles' state, address and query
    reads_all_settings: bool  #: pg_read_all_settings (in pg_monitor): sourcefile and sourceline
    settings: dict[str, Setting]
    sessions: tuple[Session, ...]
    limits: tuple[Limit, ...]

    @property
    def usable(self) -> int:
        return self.max_connections.value - self._reserved_total

    @property
    def max_connections(self) -> Setting:
        return self.settings["max_connections"]

    @property
    def _reserved_total(self) -> int:
        names = ("superuser_reserved_connections", "reserved_connections")
        return sum(self.settings[n].value for n in names if n in self.settings)

    @property
    def usable_formula(self) -> str:
        parts = [f"max_connections {self.max_connections.cite()}"]
        for name in ("superuser_reserved_connections", "reserved_connections"):
            if name in self.settings and (self.settings[name].value or name.startswith("superuser")):
                parts.append(f"{name} {self.settings[name].cite()}")
        return " − ".join(parts)

    @property
    def hidden(self) -> int:
        return sum(s.hidden for s in self.sessions)

    def blind_spots(self) -> list[str]:
        """What this role could not see, said once so that no number reads as complete when it is not."""
        notes = []
        if self.hidden:
            notes.append(
                f"{self.hidden} sessions of other roles show no type, state, address or query to role {self.user}"
                " (it lacks pg_read_all_stats, which pg_monitor grants): they are counted as client connections"
                " because they have a database and a role, and their idle-in-transaction time is not known"
            )
        if not self.reads_all_settings:
            notes.append(
                f"role {self.user} cannot see which file and line set each setting (pg_read_all_settings,"
                " in pg_monitor): `configuration file` may be postgresql.conf or ALTER SYSTEM's postgresql.auto.conf"
            )
        return notes


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    usage_threshold: float = 0.8  #: share of the usable slots above which PGC501 warns
    idle_threshold_s: float = 60.0  #: PGC502: idle in transaction longer than this


@dataclass(frozen=True, slots=True)
class App:
    """One process group of the repository's budget beside the live sessions that name it."""

    name: str
    terms: tuple[Term, ...]
    sessions: tuple[Session, ...]  #: live sessions whose application_name is the group's name

    @property
    def at_once(self) -> float:
        return sum(term.product for term in self.terms if term.product is not None)

    @property
    def ceiling(self) -> float:
        return sum(term.ceiling for term in self.terms if term.ceiling is not None)

    @property
    def formula(self) -> str:
        known = [t for t in self.terms if t.product is not None]
        sums = " + ".join(f"{t.processes} × {show(t.at_once)}" for t in known) or "0"
        unknown = " + unknown" if len(known) < len(self.terms) else ""
        return f"{sums}{unknown} = {show(self.at_once)}"

    @property
    def anchor(self) -> Location:
        return max(self.terms, key=lambda t: t.product or 0).anchor


@dataclass(frozen=True, slots=True)
class Diagnosis:
    live: Live
    findings: list[Finding]
    budget: Budget | None = None
    apps: tuple[App, ...] = ()
    unattributed: tuple[Session, ...] = ()  #: other sessions whose application_name names no app
    notes: tuple[str, ...] = field(default_factory=tuple)


# --- reading ---------------------------------------------------------------------------------------


def read(dsn: str | None, timeout_s: float) -> Live:
    """Connect (the DSN, else libpq's PG* variables), read, disconnect, all within one deadline: a server that
    completes the handshake and then stalls would wait forever on a query (statement_timeout is the server's to
    honour), so the reading runs in a thread the deadline abandons. Raises DoctorError, never psycopg's."""
    import threading

    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["live"] = _read(dsn, timeout_s)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=work, name="pgconnlint doctor", daemon=True)
    thread.start()
    thread.join(max(2, math.ceil(timeout_s)) + 2 * timeout_s + 1)  # connecting, then every query
    if thread.is_alive():
        raise DoctorError(
            f"no answer within {timeout_s:g} s (--timeout): the server accepted the connection, then stalled"
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["live"]  # type: ignore[return-value]


def _read(dsn: str | None, timeout_s: float) -> Live:
    try:
        import psycopg
    except ImportError:
        raise DoctorError(INSTALL_HINT) from None
    secrets = _secrets(dsn or "")
    try:
        target = _target(dsn or "")
    except psycopg.Error as error:
        raise DoctorError(_redact(f"--dsn is not a valid connection string: {_first_line(error)}", secrets)) from None
    try:
        # libpq's connect_timeout is whole seconds and at least 2 (libpq docs, "connect_timeout").
        with psycopg.connect(
            dsn or "",
            connect_timeout=max(2, math.ceil(timeout_s)),
            fallback_application_name="pgconnlint doctor",
            autocommit=True,
        ) as conn:
            conn.execute("SET default_transaction_read_only = on")
            conn.execute(f"SET statement_timeout = {max(1, round(timeout_s * 1000))}")
            return _snapshot(conn, target)
    except psycopg.Error as error:
        raise DoctorError(_redact(_explain_error(error, target, timeout_s), secrets)) from None


def _snapshot(conn, target: str) -> Live:
    row = conn.execute(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user,"
        " current_database(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),"
        " pg_has_role('pg_read_all_stats', 'USAGE'), pg_has_role('pg_read_all_settings', 'USAGE'),"
        " has_function_privilege('pg_show_all_file_settings()', 'EXECUTE')"
    ).fetchone()
    version, version_num, user, database, superuser, all_stats, all_settings, file_settings = row
    settings = _settings(conn, file_settings)
    sessions = _sessions(conn)
    return Live(
        target,
        version,
        version_num,
        user,
        database,
        bool(superuser),
        bool(all_stats),
        bool(all_settings),
        settings,
        sessions,
        _limits(conn, sessions),
    )


def _settings(conn, file_settings: bool) -> dict[str, Setting]:
    rows = conn.execute(
        "SELECT name, setting, source, sourcefile, sourceline, pending_restart, reset_val FROM pg_settings"
        " WHERE name = ANY(%s)",
        [list(SETTINGS)],
    ).fetchall()
    rows.sort(key=lambda row: SETTINGS.index(row[0]))
    pending: dict[str, tuple[str, str]] = {}
    if file_settings:  # superusers only, by default: what a restart would read
        for name, value, path, line in conn.execute(
            "SELECT name, setting, sourcefile, sourceline FROM pg_file_settings WHERE name = ANY(%s) ORDER BY seqno",
            [list(SETTINGS)],
        ):
            pending[name] = (value, f"{path}:{line}")  # the last one wins, as in PostgreSQL
    settings = {}
    for name, value, source, path, line, restart, reset in rows:
        file_value, file_at = pending.get(name, (None, None))
        if name == "statement_timeout" and source == "session":  # doctor's own SET: report what sessions start with
            value, source = reset, "reset_val, what new sessions start with"
        where = f"{path}:{line}" if path else None
        settings[name] = Setting(name, int(value), source, where, bool(restart), file_value, file_at)
    return settings


def _sessions(conn) -> tuple[Session, ...]:
    rows = conn.execute(
        "SELECT pid, datname, usename, application_name, CASE WHEN client_addr IS NULL AND client_port = -1"
        " THEN 'local' ELSE host(client_addr) END, state, backend_type,"
        " extract(epoch FROM now() - state_change)::float8, extract(epoch FROM now() - xact_start)::float8,"
        " pid = pg_backend_pid() FROM pg_stat_activity ORDER BY pid"
    ).fetchall()
    sessions = []
    for pid, database, role, application, client, state, kind, idle_s, xact_s, own in rows:
        # Without pg_read_all_stats another role's backend_type is NULL too (checked on PostgreSQL 15):
        # a row with a database and a role is a client backend, or now and then a parallel or logical worker.
        hidden = kind is None and database is not None and role is not None
        if kind == "client backend" or hidden:
            sessions.append(Session(pid, database, role, application or "", client, state, idle_s, xact_s, own, hidden))
    return tuple(sessions)


def _limits(conn, sessions: tuple[Session, ...]) -> tuple[Limit, ...]:
    roles = Counter(s.role for s in sessions)
    databases = Counter(s.database for s in sessions)
    limits = [
        Limit("role", name, limit, roles[name], bool(superuser))
        for name, limit, superuser in conn.execute(
            "SELECT rolname, rolconnlimit, rolsuper FROM pg_roles WHERE rolconnlimit >= 0 ORDER BY rolname"
        )
    ]
    limits += [
        Limit("database", name, limit, databases[name])
        for name, limit in conn.execute(
            "SELECT datname, datconnlimit FROM pg_database WHERE datconnlimit >= 0 ORDER BY datname"
        )
    ]
    return tuple(limits)


def _target(dsn: str) -> str:
    """`host:port/database as user`, resolved as libpq will (PG* variables under the DSN), without the password."""
    from psycopg import pq

    values = {o.keyword.decode(): o.val.decode() for o in pq.Conninfo.get_defaults() if o.val}
    values.update({o.keyword.decode(): o.val.decode() for o in pq.Conninfo.parse(dsn.encode()) if o.val})
    host = values.get("host") or values.get("hostaddr") or "the local socket"
    user = values.get("user") or "the current OS user"
    return f"{host}:{values.get('port', '5432')}/{values.get('dbname') or user} as {user}"


_CAUSES = (  # libpq's and psycopg's wording → the cause in a few words
    (re.compile(r"timeout expired", re.I), "no answer within {timeout} s (--timeout)"),
    (re.compile(r"Connection refused"), "connection refused: nothing listens there, or the server is down"),
    (re.compile(r"failed to resolve host|could not translate host name"), "unknown host name"),
    (re.compile(r"No route to host|Network is unreachable"), "host unreachable"),
    (re.compile(r"no password supplied"), "the server asks for a password and none was given (--dsn or PGPASSWORD)"),
    (re.compile(r"statement timeout"), "the server did not answer a query within {timeout} s (--timeout)"),
)


def _explain_error(error: Exception, target: str, timeout_s: float) -> str:
    text = str(error)
    for pattern, cause in _CAUSES:
        if pattern.search(text):
            return f"cannot read {target}: {cause.format(timeout=f'{timeout_s:g}')}"
    # The server's own refusal (`FATAL:  password authentication failed for user "x"`,
    # `database "x" does not exist`, `sorry, too many clients already`): keep its words, drop libpq's prefix.
    reason = re.sub(
        r"^(connection failed:\s*)?(connection to server .*? failed:\s*)?(FATAL:\s*)?", "", _first_line(error)
    )
    if "too many clients" in reason or "connection slots are reserved" in reason:
        reason += " (a superuser, or from PostgreSQL 16 a member of pg_use_reserved_connections, may still connect)"
    return f"cannot read {target}: the server refused: {reason}"


def _first_line(error: Exception) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def _secrets(dsn: str) -> list[str]:
    """Every password the DSN or the environment may hold, to be blanked from any message (pgconnlint/neutral.py
    reads the DSN: an unencoded `@` in a URL's password, a quoted or unquoted keyword `password=`)."""
    found = [os.environ.get("PGPASSWORD", ""), *neutral.passwords(dsn)]
    found += [word for secret in found for word in secret.split()]  # libpq may echo one word of it
    return sorted({s for s in found if s}, key=len, reverse=True)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:  # whole words only: a password `p` must not blank every p of the message
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", neutral.MASK, text)
    return neutral.value(" ".join(text.split()))  # one line, shown safely


# --- checks ----------------------------------------------------------------------------------------


def diagnose(live: Live, options: DoctorOptions = DoctorOptions(), budget: Budget | None = None) -> Diagnosis:
    apps, unattributed = _apps(budget, live) if budget is not None else ((), ())
    found = [*_usage_near_limit(live, options), *_idle_in_transaction(live, options, apps)]
    if budget is not None:
        found += [*_max_connections_differs(live, budget), *_pools_exceed_limits(live, budget, apps, unattributed)]
    rules = catalogue.load()
    found = [dataclasses.replace(f, severity=rules[f.code].severity, name=rules[f.code].name) for f in found]
    notes = live.blind_spots()
    if unattributed and any(not app.sessions for app in apps):
        names = ", ".join(app.name for app in apps if not app.sessions)
        notes.append(
            f"{len(unattributed)} sessions carry no application_name that names an app of the repository, and no"
            f" session names {names}:"
            " set application_name in each pool to its app's name (TypeORM `applicationName`, node-postgres"
            " `application_name`, SQLAlchemy `connect_args={'application_name': …}`) so doctor can tell them apart"
        )
    return Diagnosis(live, found, budget, apps, unattributed, tuple(notes))


def _apps(budget: Budget, live: Live) -> tuple[tuple[App, ...], tuple[Session, ...]]:
    groups: dict[str, list[Term]] = {}
    for term in budget.terms:
        groups.setdefault(term.group.name, []).append(term)
    others = [s for s in live.sessions if not s.own]
    apps = tuple(
        App(name, tuple(terms), tuple(s for s in others if s.application.casefold() == name.casefold()))
        for name, terms in groups.items()
    )
    claimed = {s.pid for app in apps for s in app.sessions}
    return apps, tuple(s for s in others if s.pid not in claimed)


def _usage_near_limit(live: Live, options: DoctorOptions):
    used = len(live.sessions)
    if live.usable <= 0 or used <= options.usage_threshold * live.usable:
        return
    largest, count = Counter((s.application, s.role, s.database) for s in live.sessions).most_common(1)[0]
    hidden = f", {live.hidden} of them of hidden type" if live.hidden else ""
    yield finding(
        USAGE,
        NOWHERE,
        f"{used} of {live.usable} usable connection slots in use ({used / live.usable:.0%}, above the"
        f" {options.usage_threshold:.0%} threshold): {live.usable_formula} = {live.usable}; {used} client"
        f" connections in pg_stat_activity, this session included{hidden}; the largest group: {count} from"
        f" {_who(*largest)}",
        help="find who holds the slots in the table above; shrink the pools, end leaked sessions, or put PgBouncer"
        " in front",
        data={"used": used, "usable": live.usable, "threshold": options.usage_threshold},
    )


def _idle_in_transaction(live: Live, options: DoctorOptions, apps: tuple[App, ...]):
    timeout = live.settings.get("idle_in_transaction_session_timeout")
    by_who: dict[tuple, list[Session]] = {}
    for s in live.sessions:
        if s.idle_in_transaction and s.idle_s is not None and s.idle_s > options.idle_threshold_s:
            by_who.setdefault((s.application, s.role, s.database), []).append(s)
    anchors = {app.name.casefold(): app.anchor for app in apps}
    for who, sessions in sorted(by_who.items(), key=lambda item: -len(item[1])):
        sessions.sort(key=lambda s: -s.idle_s)
        oldest = sessions[0]
        ended = "is off, so PostgreSQL never ends them" if not timeout or timeout.value == 0 else "has not ended them"
        ender = f"; idle_in_transaction_session_timeout {timeout.cite_ms()} {ended}" if timeout else ""
        yield finding(
            IDLE,
            anchors.get(who[0].casefold(), NOWHERE),
            f"{len(sessions)} session{'s' if len(sessions) != 1 else ''} of {_who(*who)} idle in transaction for"
            f" more than {options.idle_threshold_s:g} s (--idle-threshold-seconds): the oldest, pid {oldest.pid},"
            f" for {oldest.idle_s:.0f} s in a transaction open {oldest.transaction_s or 0:.0f} s{ender}",
            help="commit or roll back before waiting (a missing release, a transaction held across an await);"
            " set idle_in_transaction_session_timeout",
            notes=tuple(
                f"pid {s.pid}: idle {s.idle_s:.0f} s, transaction {s.transaction_s or 0:.0f} s" for s in sessions
            ),
            data={"count": len(sessions), "pids": [s.pid for s in sessions], "oldest_s": round(oldest.idle_s, 1)},
        )


def _max_connections_differs(live: Live, budget: Budget):
    server, setting = budget.server, live.max_connections
    wanted = server.max_connections
    if server.assumed or wanted.value == setting.value:
        return
    repo = f"{cite(wanted)}"
    if setting.pending_restart:
        files = f"now hold {setting.file_value} ({setting.file_value_at})" if setting.file_value else "have changed"
        if setting.file_value is None:
            verdict = "the repository's value may be the newer one: restart the server to apply it"
        elif int(setting.file_value) == wanted.value:
            verdict = "the repository's value is newer than the running one: restart the server to apply it"
        else:
            verdict = "and they differ from the repository's too"
        why = f"a restart is pending (pg_settings.pending_restart): the server's configuration files {files}; {verdict}"
    else:
        why = f"the running server is not configured from {server.name}: its value comes from its {setting.source}"
        if setting.file_value is not None and setting.source != "configuration file":
            why += f" (its configuration files hold {setting.file_value}, {setting.file_value_at})"
        if setting.source == "configuration file":
            why += ", or the file changed and the server has been neither reloaded nor restarted since"
    if setting.source == "command line":
        why += "; a command-line value (`postgres -c`, a container's `command:`) wins over every file at each start"
    yield finding(
        MAX_CONNECTIONS,
        wanted.location if not isinstance(wanted, Default) else server.location,
        f"the running server has max_connections {setting.cite()}, the repository {repo}; {why}",
        help="restart the server after changing max_connections, or make the repository match what runs",
        data={"live": setting.value, "repository": wanted.value, "pending_restart": setting.pending_restart},
    )


def _pools_exceed_limits(live: Live, budget: Budget, apps: tuple[App, ...], unattributed: tuple[Session, ...]):
    if not apps:
        return
    total = budget.total
    if total > live.usable:
        alone = [app.name for app in apps if app.at_once > live.usable]
        blame = f"; {' and '.join(alone)} alone {'exceeds' if len(alone) == 1 else 'exceed'} them" if alone else ""
        yield _limit_finding(
            apps,
            f"the pools can hold {_bound(budget)} {show(total)} connections at once ({_sum(apps)}), more than the"
            f" {live.usable} usable slots of the running server ({live.usable_formula}){blame}; beyond them new"
            " connections fail with `remaining connection slots are reserved…` or `sorry, too many clients already`",
            {"kind": "server", "limit": live.usable, "total": int(total)},
        )
    for limit in live.limits:
        if limit.superuser:  # exempt (FACTS.md)
            continue
        users, assumption = _apps_using(limit, live, apps, unattributed)
        at_once = sum(app.at_once for app in users)
        if not users or at_once <= limit.limit:
            continue
        yield _limit_finding(
            users,
            f"{limit.kind} {limit.name} has CONNECTION LIMIT {limit.limit} [{limit.column}] but the pools"
            f" {assumption} can hold {show(at_once)} connections at once ({_sum(users)}); {limit.connected} connected"
            f' now; beyond {limit.limit} new ones fail with `too many connections for {limit.kind} "{limit.name}"`',
            {"kind": limit.kind, "name": limit.name, "limit": limit.limit, "total": int(at_once)},
        )


def _apps_using(limit: Limit, live: Live, apps, unattributed) -> tuple[tuple[App, ...], str]:
    """Which apps a role or database limit binds: those whose sessions use it, told by application_name;
    else, when unnamed sessions or this one use it, every app of the repository, and the message says so."""

    def uses(session: Session) -> bool:
        return (session.role if limit.kind == "role" else session.database) == limit.name

    named = tuple(app for app in apps if any(uses(s) for s in app.sessions))
    if named:
        names = ", ".join(app.name for app in named)
        return named, f"of {names} (whose sessions use it, told by application_name)"
    if any(uses(s) for s in unattributed):
        return apps, "of every app of the repository (sessions without a telling application_name use it)"
    if (live.user if limit.kind == "role" else live.database) == limit.name:
        return apps, f"of every app of the repository (assumed to connect as this session does: {live.target})"
    return (), ""


def _limit_finding(apps, message: str, data: dict) -> Finding:
    terms = [term for app in apps for term in app.terms]
    anchor = max(apps, key=lambda app: app.at_once).anchor
    related = tuple(dict.fromkeys(loc for t in terms for loc in (t.anchor, t.pool.max.location) if loc != anchor))
    return finding(
        LIMITS,
        anchor,
        message,
        help="shrink the pools or the process count, put PgBouncer in front, or raise the limit",
        notes=tuple(term.describe() for term in terms),
        related=related,
        data={**data, "apps": [{"name": a.name, "connections": int(a.at_once)} for a in apps]},
    )


def _sum(apps) -> str:
    return ", ".join(f"{app.name} {app.formula}" for app in apps)


def _bound(budget: Budget) -> str:
    return "at least" if budget.unknown_terms else "up to"


def _who(application: str, role: str | None, database: str | None) -> str:
    name = f"application_name {application!r}" if application else "no application_name"
    return f"{name} (role {role or '?'}, database {database or '?'})"
