"""Settings: one TOML file loaded with ``tomllib`` into frozen, validated dataclasses, passed explicitly.

Discovery (``find_config``): ``--config PATH``, else ``$CMRT_CONFIG``, else ``./cmrt-bot.toml`` when present, else
the built-in defaults (every key has one; the defaults run the local demo). ``config.example.toml`` documents
every key. Secrets never live in the file: ``*_env`` keys name environment variables (``Settings.secret``).

Errors name the dotted key and the file's line (``cmrt-bot.toml:12: smtp.port: expected an integer``); all
problems are reported at once. Durations are written ``14d``, ``36h``, ``90m``, ``30s`` (or combined, ``1h30m``)
and become ``datetime.timedelta``. Relative paths are resolved against the config file's directory.
``CMRT_STORE_URL`` overrides ``[store] url``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import logging
import math
import os
import pathlib
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cmrt.rollup.company import CompanyInfo

if TYPE_CHECKING:
    from cmrt.workbook import ReadLimits

log = logging.getLogger("cmbot.config")

DEFAULT_CONFIG_NAME = "cmrt-bot.toml"
DEFAULT_STORE_URL = "sqlite:///cmrt-bot.db"
MIB = 1024 * 1024
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
SEVERITY_OVERRIDES = ("reject", "high_risk", "clarify", "info", "disabled")


class ConfigError(ValueError):
    """The configuration cannot be used; ``problems`` holds one line per problem (key and line named)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------------------------------- sections
# Field metadata: "path" (resolved against the config directory), "bytes" (size, allows "20MiB"),
# "weekdays" (names -> ISO numbers), "quiet_hours" (["18:00", "08:00"] or []).


@dataclass(frozen=True)
class StoreSettings:
    url: str = DEFAULT_STORE_URL


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None  # unset: no e-mail is sent
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str = "CMRT_SMTP_PASSWORD"
    timeout: dt.timedelta = dt.timedelta(seconds=30)
    tls_ca_file: str | None = field(default=None, metadata={"path": True})
    local_hostname: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class ImapSettings:
    host: str | None = None  # unset: no inbound mail over IMAP
    port: int = 993
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str | None = None
    password_env: str = "CMRT_IMAP_PASSWORD"
    folder: str = "INBOX"
    processed_folder: str = "CMRT/Processed"
    quarantine_folder: str = "CMRT/Quarantine"
    tls_ca_file: str | None = field(default=None, metadata={"path": True})
    timeout: dt.timedelta = dt.timedelta(seconds=30)
    idle_timeout: dt.timedelta = dt.timedelta(minutes=25)  # re-issue IDLE before servers drop it (RFC 2177)
    poll_interval: dt.timedelta = dt.timedelta(seconds=60)  # when the server has no IDLE
    fetch_batch: int = 10  # messages downloaded per FETCH; 10 keeps a backlog's peak RSS under 300 MB

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class MailSettings:
    inbound: Literal["imap", "maildir", "none"] = "imap"
    maildir_path: str | None = field(default=None, metadata={"path": True})
    outbound: Literal["smtp", "maildir"] = "smtp"  # maildir: e-mails are delivered as .eml files (demo, tests)
    outbound_maildir_path: str | None = field(default=None, metadata={"path": True})
    max_message_bytes: int = field(default=50 * MIB, metadata={"bytes": True})
    max_attachment_bytes: int = field(default=25 * MIB, metadata={"bytes": True})
    message_id_domain: str | None = None  # default: the domain of outreach.from_address
    # the authserv-id of our receiving server's Authentication-Results (RFC 8601); unset: headers are trusted as is
    trusted_authserv_id: str | None = None
    bounce_address: str | None = None  # VERP base (bounces+<token>@domain); default: outreach.from_address


@dataclass(frozen=True)
class SlackSettings:
    mode: Literal["socket", "http"] = "socket"
    channel: str | None = None  # unset: Slack is off
    bot_token_env: str = "CMRT_SLACK_BOT_TOKEN"
    app_token_env: str = "CMRT_SLACK_APP_TOKEN"
    signing_secret_env: str = "CMRT_SLACK_SIGNING_SECRET"
    http_host: str = "127.0.0.1"
    http_port: int = 3000
    api_base_url: str | None = None
    allowed_users: tuple[str, ...] = ()
    allowed_group: str | None = None
    digest: Literal["off", "daily", "weekly"] = "daily"
    digest_time: dt.time = dt.time(9, 0)
    digest_weekday: int = field(default=1, metadata={"weekday": True})
    upload_workbooks: bool = True  # returned workbooks into the supplier's thread (false: no supplier files in Slack)

    @property
    def configured(self) -> bool:
        return bool(self.channel)


@dataclass(frozen=True)
class OutreachSettings:
    from_address: str | None = None
    from_name: str = "Supplier Compliance"
    reply_to: str | None = None
    company_name: str = ""  # the requesting company, named in the e-mails
    template_path: str | None = field(default=None, metadata={"path": True})
    templates_dir: str | None = field(default=None, metadata={"path": True})
    reminder_cadence: tuple[dt.timedelta, ...] = (dt.timedelta(days=14), dt.timedelta(days=28))
    escalate_after_reminders: int = 2
    escalate_grace: dt.timedelta = dt.timedelta(days=7)
    escalate_days_before_due: int = 7
    escalate_at_due: bool = True
    clarification_followup: tuple[dt.timedelta, ...] = (dt.timedelta(days=7), dt.timedelta(days=14))
    batch_size: int = 50
    max_emails_per_hour: int = 200
    max_acks_per_request: int = 3  # acknowledgments per request and day (a loop cannot run away)
    max_acks_per_hour: int = 60  # acknowledgments' own rate budget, apart from requests and reminders (0: none)
    # BCP 47 tag (cmrt.languages): e-mails to suppliers without a language of their own are written in it
    language: str = field(default="en", metadata={"language": True})
    show_grade_to_supplier: bool = False  # the review's internal grade and score in the acknowledgment
    notify_on_accept: bool = True  # accepting a return (Slack, CLI) e-mails the supplier that nothing more is due
    # the blank templates of the other families, attached when a campaign asks for them (CMRT: template_path)
    emrt_template_path: str | None = field(default=None, metadata={"path": True})
    crt_template_path: str | None = field(default=None, metadata={"path": True})
    amrt_template_path: str | None = field(default=None, metadata={"path": True})


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = "UTC"
    business_days: tuple[int, ...] = field(default=(1, 2, 3, 4, 5), metadata={"weekdays": True})
    quiet_hours: tuple[dt.time, ...] = field(default=(dt.time(18, 0), dt.time(8, 0)), metadata={"quiet_hours": True})
    holidays: tuple[dt.date, ...] = ()
    tick: dt.timedelta = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class ReaderSettings:
    max_file_bytes: int = field(default=25 * MIB, metadata={"bytes": True})
    max_uncompressed_bytes: int = field(default=200 * MIB, metadata={"bytes": True})
    timeout: dt.timedelta = dt.timedelta(seconds=30)
    passwords: tuple[str, ...] = ()  # tried after Excel's default "VelvetSweatshop"
    workers: int = 0  # reader processes working in parallel; 0: the CPU count

    def pool_size(self) -> int:
        """How many reader worker processes may run at once (``workers``, or the CPU count when 0)."""
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def read_limits(self) -> ReadLimits:
        """The reader's limits as ``cmrt.workbook.read_workbook`` takes them."""
        from cmrt.workbook import ReadLimits

        return ReadLimits(
            max_file_bytes=self.max_file_bytes,
            max_uncompressed_bytes=self.max_uncompressed_bytes,
            timeout_seconds=self.timeout.total_seconds(),
        )


@dataclass(frozen=True)
class ReviewSettings:
    # check id -> one of reject, high_risk, clarify, info, disabled
    overrides: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    # reporting year -> {check id -> severity}: [review.campaigns."2025"]; applied after `overrides`
    campaigns: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: types.MappingProxyType({}), metadata={"campaign_tables": True}
    )


RMI_CONFORMANT_URL = "https://www.responsiblemineralsinitiative.org/facilities-lists/export-all-conformant/"
RMI_ACTIVE_URL = "https://www.responsiblemineralsinitiative.org/facilities-lists/export-all-active/"


@dataclass(frozen=True)
class SmeltersSettings:
    """RMI's lists: how old they may get, how often ``run`` fetches them, and from where."""

    max_list_age: dt.timedelta = dt.timedelta(days=45)  # older status lists are named with their age and warned of
    refresh: dt.timedelta | None = field(default=dt.timedelta(days=7), metadata={"off": True})  # None: "off"
    conformant_url: str | None = RMI_CONFORMANT_URL
    active_url: str | None = RMI_ACTIVE_URL
    reference_urls: tuple[str, ...] = ()  # RMI's Standard Smelter List exports (CMRT, EMRT, ...): change often
    revisions_url: str | None = None  # RMI's smelter-list revisions export
    download_timeout: dt.timedelta = dt.timedelta(seconds=60)
    max_download_bytes: int = field(default=50 * MIB, metadata={"bytes": True})

    @property
    def max_list_age_days(self) -> int:
        return self.max_list_age.days

    def urls(self) -> list[tuple[str, str]]:
        """(kind, URL) of every list to fetch, in a fixed order."""
        out = [("conformant", self.conformant_url), ("active", self.active_url)]
        out += [("reference", url) for url in self.reference_urls]
        out.append(("revisions", self.revisions_url))
        return [(kind, url) for kind, url in out if url]


@dataclass(frozen=True)
class RunSettings:
    """How ``cmrt-bot run`` looks after its components (heartbeats, restarts, alerts)."""

    heartbeat: dt.timedelta = dt.timedelta(seconds=5)  # how often the heartbeats (`cmrt-bot status`) are written
    down_alert_after: dt.timedelta = dt.timedelta(seconds=60)  # tell the team when a component is down this long
    restart_backoff_cap: dt.timedelta = dt.timedelta(minutes=5)  # the longest wait between restarts


@dataclass(frozen=True)
class CompanySettings(CompanyInfo):
    """Our company as our own declaration (``cmrt-bot rollup``) names it; the Checker requires the name, the
    contact (name, e-mail, phone) and the authorizer (name, e-mail), checked when a roll-up is made. The keys are
    the fields of ``cmrt.rollup.company.CompanyInfo`` (one definition)."""


@dataclass(frozen=True)
class CompanyQuestionSettings:
    """Our answer to one lettered company question of the template (A-H in CMRT 6.x)."""

    answer: str | None = None  # one of the template's drop-down values, e.g. "Yes"
    comment: str | None = None  # e.g. the policy's URL for question B


@dataclass(frozen=True)
class RollupSettings:
    template_path: str | None = field(default=None, metadata={"path": True})  # default: [outreach] template_path
    # question -> value for every metal, or {metal = value}: [rollup.answers] Q4 = "Unknown", Q7 = {Gold = "No"}
    answers: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: types.MappingProxyType({}), metadata={"answers": True}
    )
    # letter -> {answer, comment}: [rollup.company_questions] A = "Yes", B = {answer = "Yes", comment = "https://..."}
    company_questions: Mapping[str, CompanyQuestionSettings] = field(
        default_factory=lambda: types.MappingProxyType({}), metadata={"company_questions": True}
    )


@dataclass(frozen=True)
class LogSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    protocol: bool = False  # true: imapclient, smtplib, slack_sdk, ... log too (each record cut short)


@dataclass(frozen=True)
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    outreach: OutreachSettings = field(default_factory=OutreachSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    run: RunSettings = field(default_factory=RunSettings)
    smelters: SmeltersSettings = field(default_factory=SmeltersSettings)
    company: CompanySettings = field(default_factory=CompanySettings)
    rollup: RollupSettings = field(default_factory=RollupSettings)
    log: LogSettings = field(default_factory=LogSettings)
    source: str = "<built-in defaults>"  # the file read, for messages

    def secret(self, env_name: str | None, environ: Mapping[str, str] | None = None) -> str | None:
        """The value of the environment variable a ``*_env`` key names (None when unset or empty)."""
        if not env_name:
            return None
        value = (os.environ if environ is None else environ).get(env_name)
        return value or None


SECTIONS: dict[str, type] = {
    "store": StoreSettings,
    "smtp": SmtpSettings,
    "imap": ImapSettings,
    "mail": MailSettings,
    "slack": SlackSettings,
    "outreach": OutreachSettings,
    "schedule": ScheduleSettings,
    "reader": ReaderSettings,
    "review": ReviewSettings,
    "run": RunSettings,
    "smelters": SmeltersSettings,
    "company": CompanySettings,
    "rollup": RollupSettings,
    "log": LogSettings,
}


# --------------------------------------------------------------------------------------------------- values
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])", re.IGNORECASE)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": MIB, "gb": 10**9, "gib": 1024 * MIB}


def parse_duration(text: str) -> dt.timedelta:
    """``14d``, ``36h``, ``90m``, ``30s``, ``1h30m`` -> timedelta. Raises ValueError otherwise."""
    s = text.strip()
    if not s or _DURATION.sub("", s).strip():
        raise ValueError(f"{text!r} is not a duration (write e.g. 14d, 36h, 90m or 30s)")
    return dt.timedelta(seconds=sum(float(n) * _UNITS[u.lower()] for n, u in _DURATION.findall(s)))


def format_duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in _UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return "0s"


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hours, minutes = (int(p) for p in value.strip().split(":"))
        if hours < 24 and minutes < 60:
            return dt.time(hours, minutes)
    raise ValueError(f"{value!r} is not a time of day (write e.g. \"09:00\")")


def _weekday(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
        return value
    if isinstance(value, str) and value.strip()[:3].lower() in WEEKDAYS:
        return WEEKDAYS[value.strip()[:3].lower()]
    raise ValueError(f"{value!r} is not a weekday (write mon ... sun)")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _severity_table(value: Any, check_values: bool = True) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("expected a table of check id = severity")
    if not check_values:  # checked per key (with its line) in _review_problems
        return types.MappingProxyType(dict(value))
    bad = [f"{k} = {v!r}" for k, v in value.items() if v not in SEVERITY_OVERRIDES]
    if bad:
        raise ValueError(f"{'; '.join(bad)}: each value must be one of {', '.join(SEVERITY_OVERRIDES)}")
    return types.MappingProxyType(dict(value))


_QUESTION_KEY = re.compile(r"^Q[1-9][0-9]?$")
ROLLUP_METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


def _answers_table(value: Any) -> Mapping[str, Mapping[str, str]]:
    """[rollup.answers]: ``Q4 = "Unknown"`` (every metal, kept under ``"*"``) or ``Q7 = {Gold = "No"}``."""
    if not isinstance(value, dict):
        raise ValueError("expected a table of question = answer, e.g. Q4 = \"Unknown\" or Q7 = {Gold = \"No\"}")
    out: dict[str, Mapping[str, str]] = {}
    bad: list[str] = []
    for question, item in value.items():
        if not _QUESTION_KEY.match(question):
            bad.append(f"{question!r} is not a question (write Q1 ... Q8)")
        elif isinstance(item, str):
            out[question] = types.MappingProxyType({"*": item})
        elif isinstance(item, dict) and all(isinstance(v, str) for v in item.values()):
            metals = {m.casefold(): m for m in ROLLUP_METALS}
            unknown = [k for k in item if k.casefold() not in metals]
            if unknown:
                bad.append(f"{question}: {', '.join(map(repr, unknown))} is not one of {', '.join(ROLLUP_METALS)}")
            out[question] = types.MappingProxyType({metals.get(k.casefold()) or k: v for k, v in item.items()})
        else:
            bad.append(f"{question}: expected an answer or a table of metal = answer, got {_type_name(item)}")
    if bad:
        raise ValueError("; ".join(bad))
    return types.MappingProxyType(out)


def _company_questions_table(value: Any) -> Mapping[str, CompanyQuestionSettings]:
    """[rollup.company_questions]: ``A = "Yes"`` or ``B = {answer = "Yes", comment = "https://..."}``."""
    if not isinstance(value, dict):
        raise ValueError("expected a table of letter = answer, e.g. A = \"Yes\"")
    out: dict[str, CompanyQuestionSettings] = {}
    bad: list[str] = []
    for letter, item in value.items():
        if not re.fullmatch(r"[A-K]", letter):
            bad.append(f"{letter!r} is not a company question letter (A ... H)")
        elif isinstance(item, str):
            out[letter] = CompanyQuestionSettings(answer=item)
        elif isinstance(item, dict):
            extra = [k for k in item if k not in ("answer", "comment")]
            if extra or not all(isinstance(v, str) for v in item.values()):
                bad.append(f"{letter}: expected {{answer = \"...\", comment = \"...\"}}")
            else:
                out[letter] = CompanyQuestionSettings(answer=item.get("answer"), comment=item.get("comment"))
        else:
            bad.append(f"{letter}: expected an answer or {{answer, comment}}, got {_type_name(item)}")
    if bad:
        raise ValueError("; ".join(bad))
    return types.MappingProxyType(out)


def _convert(f: dataclasses.Field[Any], hint: Any, value: Any, base_dir: pathlib.Path | None) -> Any:
    meta = f.metadata
    if meta.get("answers"):
        return _answers_table(value)
    if meta.get("company_questions"):
        return _company_questions_table(value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    optional = origin in (types.UnionType, typing.Union) and type(None) in args
    if optional:
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if meta.get("bytes"):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        m = _SIZE.match(value) if isinstance(value, str) else None
        if not m:
            raise ValueError(f"expected a size in bytes (e.g. 25MiB), got {value!r}")
        return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    if meta.get("weekday"):
        return _weekday(value)
    if meta.get("language"):
        from cmrt.languages import UnknownLanguage, normalise

        if not isinstance(value, str):
            raise ValueError(f"expected a language tag such as \"de\", got {_type_name(value)}")
        try:
            return normalise(value)
        except UnknownLanguage as exc:
            raise ValueError(str(exc)) from None
    if meta.get("weekdays"):
        if not isinstance(value, list):
            raise ValueError(f"expected a list of weekdays, got {_type_name(value)}")
        return tuple(sorted({_weekday(v) for v in value}))
    if meta.get("quiet_hours"):
        if not isinstance(value, list) or len(value) not in (0, 2):
            raise ValueError('expected ["18:00", "08:00"] (start, end) or [] for none')
        return tuple(_time(v) for v in value)
    if meta.get("off") and isinstance(value, str) and value.strip().lower() == "off":
        return None
    if origin is Literal:
        if value not in args:
            raise ValueError(f"expected one of {', '.join(map(str, args))}, got {value!r}")
        return value
    if hint is dt.timedelta:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.timedelta(seconds=value)
        if not isinstance(value, str):
            raise ValueError(f"expected a duration such as \"30s\", got {_type_name(value)}")
        return parse_duration(value)
    if hint is dt.time:
        return _time(value)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {_type_name(value)}")
        item = args[0]
        if item is dt.timedelta:
            return tuple(_convert(f, dt.timedelta, v, base_dir) for v in value)
        if item is dt.date:
            if not all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in value):
                raise ValueError("expected a list of dates (2026-12-24, unquoted)")
            return tuple(value)
        if not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of strings")
        return tuple(value)
    if meta.get("campaign_tables"):
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ValueError('expected one table per reporting year, e.g. [review.campaigns."2025"]')
        return types.MappingProxyType(
            {str(year): _severity_table(table, check_values=False) for year, table in value.items()}
        )
    if origin is Mapping:
        return _severity_table(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_type_name(value)}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected an integer, got {_type_name(value)}")
        if value < 0:
            raise ValueError(f"expected a number >= 0, got {value}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_type_name(value)}")
        if meta.get("path") and value and base_dir is not None:
            path = pathlib.Path(value).expanduser()
            return str(path if path.is_absolute() else (base_dir / path).resolve())
        return None if (optional and value == "") else value
    raise TypeError(f"unsupported setting type {hint!r}")  # pragma: no cover - a programming error


# --------------------------------------------------------------------------------------------------- loading
def key_lines(text: str) -> dict[str, int]:
    """Dotted key -> line number, found by scanning the TOML text (tables, dotted keys, inline tables)."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]", stripped)
        if header:
            table = ".".join(p.strip().strip("\"'") for p in header.group(1).split("."))
            lines.setdefault(table, number)
            continue
        key = re.match(r"^([A-Za-z0-9_\-\"'. ]+?)\s*=", stripped)
        if key:
            dotted = ".".join(p.strip().strip("\"'") for p in key.group(1).split("."))
            full = f"{table}.{dotted}" if table else dotted
            lines.setdefault(full, number)
            for inner in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", stripped[key.end() :]):
                lines.setdefault(f"{full}.{inner.group(1)}", number)
    return lines


def find_config(cli_path: str | None, environ: Mapping[str, str] | None = None,
                cwd: pathlib.Path | None = None) -> pathlib.Path | None:
    """The config file to read: --config, then $CMRT_CONFIG, then ./cmrt-bot.toml; None for the defaults."""
    env = os.environ if environ is None else environ
    if cli_path:
        return pathlib.Path(cli_path)
    if env.get("CMRT_CONFIG"):
        return pathlib.Path(env["CMRT_CONFIG"])
    candidate = (cwd or pathlib.Path.cwd()) / DEFAULT_CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(cli_path: str | None = None, environ: Mapping[str, str] | None = None,
                cwd: pathlib.Path | None = None) -> Settings:
    """Find and load the configuration (see ``find_config``); raises ``ConfigError``."""
    env = os.environ if environ is None else environ
    path = find_config(cli_path, env, cwd)
    if path is None:
        return apply_environment(Settings(), env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: configuration file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read the configuration file: {exc}"]) from None
    return apply_environment(parse_config(text, source=str(path), base_dir=path.resolve().parent), env)


def apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    url = environ.get("CMRT_STORE_URL")
    if url:
        settings = dataclasses.replace(settings, store=StoreSettings(url=url))
    warning = store_password_warning(settings.store.url)
    if warning and settings.store.url not in _WARNED:
        _WARNED.add(settings.store.url)
        log.warning("%s", warning)
    return settings


_WARNED: set[str] = set()  # each URL is warned about once per process


def resolve_sqlite_path(url: str, base_dir: pathlib.Path) -> str:
    """``sqlite:///relative.db`` in a config file means relative to that file's directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and not rest.startswith(":memory:") and not rest.startswith("file:"):
            return prefix + str((base_dir / rest).resolve())
    return url


def parse_config(text: str, source: str = "<string>", base_dir: pathlib.Path | None = None) -> Settings:
    """Parse TOML text into ``Settings``; every problem is reported (with its line) in one ``ConfigError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
    lines = key_lines(text)
    problems: list[str] = []

    def where(key: str) -> str:
        parts = key.split(".")
        for end in range(len(parts), 0, -1):  # the key itself, else its nearest enclosing table
            candidate = ".".join(parts[:end])
            if candidate in lines:
                return f"{source}:{lines[candidate]}"
        inner = [n for k, n in lines.items() if k.startswith(key + ".")]  # e.g. [review.campaigns."2025"]
        return f"{source}:{min(inner)}" if inner else source

    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SECTIONS:
            hint = difflib.get_close_matches(name, SECTIONS, n=1)
            suggestion = f" (did you mean [{hint[0]}]?)" if hint else ""
            problems.append(f"{where(name)}: unknown section [{name}]{suggestion}")
            continue
        if not isinstance(value, dict):
            problems.append(f"{where(name)}: {name}: expected a table [{name}], got {_type_name(value)}")
            continue
        cls = SECTIONS[name]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for key, raw in value.items():
            dotted = f"{name}.{key}"
            if key not in fields:
                hint = difflib.get_close_matches(key, fields, n=1)
                suggestion = f" (did you mean {name}.{hint[0]}?)" if hint else ""
                problems.append(f"{where(dotted)}: unknown key {dotted}{suggestion}")
                continue
            if key.endswith("_env") and isinstance(raw, str) and (why := env_name_problem(raw)):
                problems.append(f"{where(dotted)}: {dotted}: {why}")  # the value itself is never repeated
                continue
            try:
                kwargs[key] = _convert(fields[key], hints[key], raw, base_dir)
            except ValueError as exc:
                problems.append(f"{where(dotted)}: {dotted}: {exc}")
        sections[name] = cls(**kwargs)
    if "store" in sections and base_dir is not None:
        sections["store"] = StoreSettings(url=resolve_sqlite_path(sections["store"].url, base_dir))
    settings = Settings(**sections, source=source)
    problems.extend(f"{where(key)}: {key}: {message}" for key, message in cross_check(settings))
    if problems:
        raise ConfigError(problems)
    return settings


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_SECRET_PREFIXES = re.compile(
    r"^(xox[abposr]|xapp|xoxe|ghp|gho|ghs|github_pat|glpat|sk|pk|rk|AIza|ya29)[-_.]"  # Slack, GitHub, Stripe...
)


def _entropy(text: str) -> float:
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def env_name_problem(value: str) -> str | None:
    """Why a ``*_env`` value cannot be the name of an environment variable (it looks like the secret itself), or
    None. The message never contains the value: a token pasted here must not reach a terminal or a log."""
    hint = ("expected the NAME of an environment variable (e.g. CMRT_SLACK_BOT_TOKEN) that holds the secret; "
            "the value given (not shown) ")  # fmt: skip
    if _SECRET_PREFIXES.match(value):
        return hint + "looks like a token: put it into the environment and name the variable here"
    if not _ENV_NAME.fullmatch(value):
        return hint + "contains characters an environment variable name cannot have (a secret?)"
    if (len(value) >= 16 and "_" not in value and any(c.isdigit() for c in value)) or (
        len(value) >= 24 and _entropy(value) > 4.0
    ):
        return hint + "looks like a random secret, not a variable name: put it into the environment instead"
    return None


def store_password_warning(url: str) -> str | None:
    """A warning when the store URL carries a password (never repeated): PGPASSWORD or ``~/.pgpass`` keep it out
    of the file and of ``ps`` output."""
    match = re.match(r"^[a-zA-Z0-9+.-]+://([^@/]*)@", url)
    if match and ":" in match.group(1) and match.group(1).split(":", 1)[1]:
        return ("the database URL ([store] url or CMRT_STORE_URL) contains a password: leave it out and use the "
                "PGPASSWORD environment variable or ~/.pgpass instead (the password is not shown)")  # fmt: skip
    return None


def cross_check(s: Settings) -> list[tuple[str, str]]:
    """Rules that involve more than one key: (dotted key, message)."""
    out: list[tuple[str, str]] = []
    if s.smtp.configured and not s.outreach.from_address:
        out.append(("outreach.from_address", "required when [smtp] host is set (the sender of every request)"))
    for section, cfg in (("smtp", s.smtp), ("imap", s.imap)):
        if cfg.username and not cfg.password_env:
            out.append((f"{section}.password_env", f"required when {section}.username is set"))
    if s.imap.configured and not s.imap.username:
        out.append(("imap.username", "required when [imap] host is set"))
    if s.mail.inbound == "maildir" and not s.mail.maildir_path:
        out.append(("mail.maildir_path", 'required when mail.inbound = "maildir"'))
    if s.mail.outbound == "maildir" and not s.mail.outbound_maildir_path:
        out.append(("mail.outbound_maildir_path", 'required when mail.outbound = "maildir"'))
    for key, value in (("outreach.from_address", s.outreach.from_address), ("outreach.reply_to", s.outreach.reply_to),
                       ("mail.bounce_address", s.mail.bounce_address),
                       ("company.contact_email", s.company.contact_email),
                       ("company.authorizer_email", s.company.authorizer_email)):  # fmt: skip
        if value and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
            out.append((key, f"{value!r} is not an e-mail address"))
    try:
        zoneinfo.ZoneInfo(s.schedule.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        out.append(("schedule.timezone", f"unknown time zone {s.schedule.timezone!r} (use e.g. Europe/Berlin)"))
    if not s.schedule.business_days:
        out.append(("schedule.business_days", "at least one business day is needed"))
    if s.schedule.tick <= dt.timedelta(0):
        out.append(("schedule.tick", "must be longer than 0s"))
    if s.run.heartbeat <= dt.timedelta(0):
        out.append(("run.heartbeat", "must be longer than 0s"))
    if list(s.outreach.reminder_cadence) != sorted(s.outreach.reminder_cadence):
        out.append(("outreach.reminder_cadence", "durations must be in increasing order"))
    if s.outreach.batch_size < 1:
        out.append(("outreach.batch_size", "must be at least 1"))
    if not 1 <= s.smtp.port <= 65535:
        out.append(("smtp.port", f"{s.smtp.port} is not a TCP port"))
    if s.imap.fetch_batch < 1:
        out.append(("imap.fetch_batch", "must be at least 1"))
    if not 1 <= s.imap.port <= 65535:
        out.append(("imap.port", f"{s.imap.port} is not a TCP port"))
    if s.smelters.max_list_age < dt.timedelta(days=1):
        out.append(("smelters.max_list_age", "must be at least 1d"))
    if s.smelters.refresh is not None and s.smelters.refresh < dt.timedelta(hours=1):
        out.append(("smelters.refresh", 'must be at least 1h (or "off")'))
    for key, url in (("smelters.conformant_url", s.smelters.conformant_url),
                     ("smelters.active_url", s.smelters.active_url),
                     ("smelters.revisions_url", s.smelters.revisions_url),
                     *(("smelters.reference_urls", u) for u in s.smelters.reference_urls)):
        if url and not re.match(r"^https?://[^\s/]+", url):
            out.append((key, f"{url!r} is not an http(s) URL"))
    if s.slack.mode == "http" and not 1 <= s.slack.http_port <= 65535:
        out.append(("slack.http_port", f"{s.slack.http_port} is not a TCP port"))
    out.extend(_review_problems(s.review))
    return out


def _review_problems(review: ReviewSettings) -> list[tuple[str, str]]:
    """Unknown check ids (and severities) in [review.overrides] and [review.campaigns."YEAR"], one per key."""
    from cmrt.review import ReviewConfigError, parse_overrides  # the catalogue is only needed here

    out: list[tuple[str, str]] = []
    layers = [("review.overrides", review.overrides)]
    for year, table in review.campaigns.items():
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            out.append((f"review.campaigns.{year}", f"{year!r} is not a reporting year (e.g. \"2025\")"))
        layers.append((f"review.campaigns.{year}", table))
    for prefix, table in layers:
        for check_id, value in table.items():
            if value not in SEVERITY_OVERRIDES:
                out.append((f"{prefix}.{check_id}", f"{value!r} is not one of {', '.join(SEVERITY_OVERRIDES)}"))
                continue
            try:
                parse_overrides({check_id: value})
            except ReviewConfigError as exc:
                message = str(exc).removeprefix("review overrides: ")
                out.append((f"{prefix}.{check_id}", f"{message} (check ids: docs/checks.md)"))
    return out
