"""Settings: one TOML file plus NEWSBOT_* environment overrides, validated once at start.

Every leaf setting `section.key` can be overridden by the environment variable
`NEWSBOT_SECTION_KEY` (e.g. `storage.database_url` <- `NEWSBOT_STORAGE_DATABASE_URL`, with the
short aliases in `ENV_ALIASES` such as `NEWSBOT_DATABASE_URL`). Secrets (SecretStr fields) may only
come from the environment: a secret written into the file is a configuration error.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from newsbot.core.models import DEFAULT_DIGEST_TIME, DEFAULT_SUMMARY, DEFAULT_TIMEZONE
from newsbot.core.schedule import parse_hhmm
from newsbot.errors import ConfigError

DEFAULT_CONFIG = Path("config/newsbot.toml")

# Short, documented names for the settings operators touch most.
ENV_ALIASES = {
    "NEWSBOT_DATABASE_URL": ("storage", "database_url"),
    "NEWSBOT_TELEGRAM_TOKEN": ("telegram", "token"),
    "NEWSBOT_TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "NEWSBOT_LOG_LEVEL": ("logging", "level"),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    database_url: str = "sqlite:///var/newsbot.db"
    echo_sql: bool = False

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        """Only what storage/db.py can open; caught by `config check`, not at first use."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except (ArgumentError, ValueError):
            raise ValueError(f"not a database URL: {masked_url(value)!r}") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {backend!r} in {masked_url(value)}: "
                "use sqlite:///PATH or postgresql://USER@HOST/DB"
            )
        return value


class PollingSettings(_Section):
    interval_seconds: int = Field(900, ge=10)
    per_host_concurrency: int = Field(2, ge=1, le=64)
    global_concurrency: int = Field(16, ge=1, le=512)
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    total_timeout: float = Field(60.0, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    backoff_base_seconds: float = Field(60.0, gt=0)
    backoff_max_seconds: float = Field(6 * 3600.0, gt=0)
    jitter: float = Field(0.1, ge=0, le=1)
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot)"
    max_articles_per_poll: int = Field(200, ge=1)
    max_updates_per_article: int = Field(5, ge=0)
    # One origin must not hold the cycle (docs/security.md): a request running this long gives
    # its global slot back; a source spends at most this much request time per poll; a poll as a
    # whole ends by its deadline (sources still running are recorded and polled next time).
    straggler_seconds: float = Field(0.25, gt=0)
    source_budget_seconds: float = Field(120.0, gt=0)
    poll_deadline_seconds: float = Field(600.0, gt=0)
    # The URL policy (adapters/urlpolicy.py, docs/security.md): links and redirects reach public
    # addresses only, except these.
    allow_private_networks: bool = False
    private_allowlist: list[str] = Field(default_factory=list)  # CIDR networks or host names
    proxy: str | None = None  # e.g. http://proxy.corp:3128; default: HTTP(S)_PROXY/ALL_PROXY

    @field_validator("private_allowlist")
    @classmethod
    def _allowlist_entries(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if not entry.strip() or ("/" in entry and not _is_network(entry)):
                raise ValueError(f"{entry!r} is neither a CIDR network nor a host name")
        return entries

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// proxy URL")
        return value or None


class SelectorSettings(_Section):
    """CSS selectors that turn an HTML section page into items (like an RSSHub route)."""

    item: str
    link: str = "a"
    title: str | None = None
    date: str | None = None
    date_format: str | None = None


class SourceSettings(_Section):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str
    kind: Literal["feed", "html"]
    url: str
    section: str = ""
    interval_seconds: int | None = Field(None, ge=10)
    selectors: SelectorSettings | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        if "://" in value and not value.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s):// or file:// URL, or a local path")
        return value


class ExtractionProfile(_Section):
    """Per-site selectors; the generic extractor is used for anything not given."""

    title: str | None = None
    body: str | None = None
    published: str | None = None
    byline: str | None = None
    remove: list[str] = Field(default_factory=list)


class ExtractionSettings(_Section):
    profiles: dict[str, ExtractionProfile] = Field(default_factory=dict)


class SummarySettings(_Section):
    min_points: int = Field(DEFAULT_SUMMARY.min_points, ge=1, le=10)
    max_points: int = Field(DEFAULT_SUMMARY.max_points, ge=1, le=10)
    max_point_chars: int = Field(DEFAULT_SUMMARY.max_point_chars, ge=20, le=500)
    headline_figures: int = Field(DEFAULT_SUMMARY.headline_figures, ge=0, le=10)


class SearchSettings(_Section):
    page_size: int = Field(5, ge=1, le=50)
    recency_half_life_days: float = Field(30.0, gt=0)
    max_query_chars: int = Field(200, ge=10)


class DeliverySettings(_Section):
    default_time: time = DEFAULT_DIGEST_TIME  # "HH:MM" in the file, a time from here on

    @field_validator("default_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, str):
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
                raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
            return parse_hhmm(value)
        return value

    default_timezone: str = DEFAULT_TIMEZONE

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)")
        return value

    default_language: Literal["zh", "en"] = "zh"
    grace_hours: float = Field(6.0, ge=0)
    window_hours: float = Field(24.0, gt=0)
    max_items: int = Field(10, ge=1, le=50)
    empty_day: Literal["skip", "notice"] = "skip"
    rate_per_second: float = Field(25.0, gt=0)
    per_chat_per_second: float = Field(1.0, gt=0)
    per_group_per_minute: float = Field(20.0, gt=0)
    max_keywords: int = Field(50, ge=1)
    alert_cap_per_day: int = Field(10, ge=0)
    max_attempts: int = Field(8, ge=1)
    allow_paid_broadcast: bool = False


class TelegramSettings(_Section):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    # Webhook mode: updates arrive at /telegram on the HTTP front; the URL Telegram posts to is
    # webhook_url, else [http] public_url + "/telegram".
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    admins: list[str] = Field(default_factory=list)


class WeChatSettings(_Section):
    enabled: bool = False
    token: SecretStr | None = None
    app_id: str = ""
    app_secret: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    api_base_url: str = "https://api.weixin.qq.com"
    # Past this many seconds the passive reply is "success" and the answer goes by
    # customer-service message (WeChat allows 5 s including the network).
    passive_budget_seconds: float = Field(4.0, gt=0, lt=5)
    # A subscription-notification template for digests outside the 48 h window (optional).
    notice_template_id: str = ""
    notice_title_field: str = "thing1"
    notice_date_field: str = "time2"


class WeComSettings(_Section):
    """The WeCom self-built app (企业微信自建应用, docs/wecom.md): /wecom on the HTTP front,
    replies, digests and alerts by the app message API. Group robots are not configured here:
    they are group subscriptions in the database (`newsbot groups add NAME --kind wecom ...`)."""

    enabled: bool = False
    api_base_url: str = "https://qyapi.weixin.qq.com"
    # corp_id and agent_id are identifiers, not secrets; secret, token and encoding_aes_key
    # come from the environment only.
    corp_id: str = ""
    agent_id: int | None = None
    secret: SecretStr | None = None
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    # "text" reaches members in WeCom and in WeChat (the plug-in shows no markdown); "markdown"
    # only in the WeCom client.
    message_format: Literal["text", "markdown"] = "text"
    # With [http] public_url: a digest is one textcard linking to its page (/d/<token>);
    # without it (or false), the complete digest as text in several messages.
    digest_card: bool = True
    rate_per_second: float = Field(20.0, gt=0)  # our own pace for the whole app
    # The enterprise's account limit (账号上限): the app may send limit*200 person-times a day.
    # 0: unknown, not enforced here.
    account_limit: int = Field(0, ge=0)


class ConsoleSettings(_Section):
    enabled: bool = True
    chat_id: str = "console"


class DemoSettings(_Section):
    """The live demo (docs/demo.md): `newsbot run` serves the bundled sample portal on loopback,
    moved into the present, and polls it there instead of reading the files."""

    live_portal: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)  # 0: any free port (the sources follow it)
    initial_articles: int = Field(8, ge=1)
    release_every_seconds: float = Field(180.0, gt=0)


class SchedulerSettings(_Section):
    enabled: bool = True
    delivery_tick_seconds: int = Field(60, ge=1)
    poll_tick_seconds: int = Field(60, ge=1)


class SupervisionSettings(_Section):
    """How `newsbot run` waits for an outside system that is down (docs/operations.md)."""

    # Retries of a channel's start and of the database wait 1, 2, 4 ... seconds, at most this.
    backoff_cap_seconds: float = Field(300.0, ge=1)
    # /healthz answers within this, even when the database does not.
    health_timeout_seconds: float = Field(5.0, gt=0)
    # Seconds `newsbot run` gives running work (a poll, a send) to end after SIGTERM/SIGINT.
    stop_grace_seconds: float = Field(3.0, ge=0)


class AdminSettings(_Section):
    """Where operators are told about failing sources: "channel:chat_id" (telegram:12345)."""

    chats: list[str] = Field(default_factory=list)
    # A source is reported after this many failed polls in a row (one timeout is not news),
    # and its recovery only if its failure was reported.
    report_after_failures: int = Field(2, ge=1)

    @field_validator("chats")
    @classmethod
    def _chats(cls, chats: list[str]) -> list[str]:
        for chat in chats:
            channel, _, chat_id = chat.partition(":")
            if not channel.strip() or not chat_id.strip():
                raise ValueError(f'{chat!r} is not "channel:chat_id" (e.g. telegram:12345)')
        return chats


class HealthSettings(_Section):
    """/healthz and /metrics on the HTTP front ([http])."""

    enabled: bool = True


class HttpSettings(_Section):
    """The one server for all inbound HTTP (docs/http.md)."""

    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # The address the outside world reaches this server at (https://news.example.cn), for links
    # in messages and the webhook URLs; unset means no links to digest pages.
    public_url: str | None = None
    page_ttl_days: float = Field(7.0, gt=0)
    # An expired page says so this long, then its row is deleted (the link reads as unknown).
    expired_page_days: float = Field(30.0, ge=0)
    # Several `newsbot run` processes listen on the same port (SO_REUSEPORT, Linux): the kernel
    # spreads the connections over them (docs/http.md). With PostgreSQL, or SQLite on one host.
    reuse_port: bool = False

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s):// URL")
        return value.rstrip("/")


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = False


class Settings(_Section):
    storage: StorageSettings = StorageSettings()
    polling: PollingSettings = PollingSettings()
    sources: list[SourceSettings] = Field(default_factory=list)
    extraction: ExtractionSettings = ExtractionSettings()
    summary: SummarySettings = SummarySettings()
    search: SearchSettings = SearchSettings()
    delivery: DeliverySettings = DeliverySettings()
    telegram: TelegramSettings = TelegramSettings()
    wechat: WeChatSettings = WeChatSettings()
    wecom: WeComSettings = WeComSettings()
    console: ConsoleSettings = ConsoleSettings()
    demo: DemoSettings = DemoSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    health: HealthSettings = HealthSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    admin: AdminSettings = AdminSettings()
    http: HttpSettings = HttpSettings()
    logging: LoggingSettings = LoggingSettings()

    @field_validator("sources")
    @classmethod
    def _unique_keys(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        seen: set[str] = set()
        for source in sources:
            if source.key in seen:
                raise ValueError(f"duplicate source key {source.key!r}")
            seen.add(source.key)
            if source.kind == "html" and source.selectors is None:
                raise ValueError(f"source {source.key!r} is kind 'html' and needs [selectors]")
        return sources


def is_timezone(name: str) -> bool:
    """An IANA time zone this machine knows (tzdata is a dependency, so all of them)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def enabled_channels(settings: Settings) -> list[str]:
    """Channel sections switched on by `enabled = true` (Telegram: by its token)."""
    names = [
        name
        for name, value in settings
        if isinstance(value, BaseModel)
        and getattr(value, "enabled", False) is True
        and name not in _NOT_CHANNELS
    ]
    return names


_NOT_CHANNELS = frozenset({"scheduler", "health", "http", "storage", "polling", "logging"})


def check_channels(settings: Settings, built: Collection[str]) -> None:
    """ConfigError naming the first enabled channel section that is not among `built` (the
    channel registry's names): switched on but never run is a mistake to report, not ignore."""
    for name in enabled_channels(settings):
        if name not in built:
            raise ConfigError(
                f"{name}.enabled",
                f"there is no {name} channel in this newsbot (channels: {', '.join(sorted(built))})",
            )


def config_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path:
    """The config file to read: --config, else NEWSBOT_CONFIG, else config/newsbot.toml."""
    if explicit:
        return Path(explicit)
    if environ.get("NEWSBOT_CONFIG"):
        return Path(environ["NEWSBOT_CONFIG"])
    return DEFAULT_CONFIG


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read, overlay and validate the configuration; raise ConfigError naming the key."""
    env = os.environ if environ is None else environ
    file = config_path(path, env)
    raw = _read_toml(file)
    _reject_replaced_settings(raw, env)
    _reject_secrets_in_file(raw)
    _resolve_database_path(raw, file)  # before the environment: its values are used as given
    _overlay_environment(raw, env)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(key, first["msg"]) from None
    return _resolve_relative_paths(settings, file)


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("NEWSBOT_CONFIG", f"config file {file} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(str(file), "is a folder; --config names the TOML file") from None
    except PermissionError:
        raise ConfigError(str(file), "cannot be read (permission denied)") from None
    except OSError as exc:
        raise ConfigError(str(file), f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(file),
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), f"not valid TOML: {exc}") from None


REPLACED = {
    ("wecom", "webhook_key"): "replaced by group subscriptions: "
    "newsbot groups add NAME --kind wecom --webhook URL (see docs/robots.md)",
}


def _reject_replaced_settings(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """A setting that no longer exists gets its successor named, not a bare 'extra field'."""
    for path, successor in REPLACED.items():
        section = raw.get(path[0])
        in_file = isinstance(section, dict) and path[1] in section
        if in_file or env.get(env_name(path)):
            raise ConfigError(".".join(path), successor)


def secret_paths(
    model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        if annotation is SecretStr or SecretStr in args:
            paths.append((*prefix, name))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths.extend(secret_paths(annotation, (*prefix, name)))
    return paths


def _leaf_paths(
    model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths.extend(_leaf_paths(annotation, (*prefix, name)))
        elif prefix:  # top-level lists such as [[sources]] come from the file only
            paths.append((*prefix, name))
    return paths


def env_name(path: tuple[str, ...]) -> str:
    return "NEWSBOT_" + "_".join(path).upper()


def _reject_secrets_in_file(raw: dict[str, Any]) -> None:
    for path in secret_paths():
        node: Any = raw
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node:
            key = ".".join(path)
            raise ConfigError(
                key, f"secrets are read only from the environment; set {env_name(path)}"
            )


def _overlay_environment(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    names = {env_name(path): path for path in _leaf_paths()}
    names.update(ENV_ALIASES)
    for name, path in names.items():
        if name in env:
            section = raw.setdefault(path[0], {})
            if not isinstance(section, dict):
                raise ConfigError(path[0], "must be a table")
            section[path[1]] = _env_value(env[name])


def _env_value(text: str) -> Any:
    """Environment values are strings; JSON lists are accepted for list settings."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return text
    return text


def _resolve_database_path(raw: dict[str, Any], file: Path) -> None:
    """A relative SQLite path written in the file is relative to the file's folder, like the
    source paths: `newsbot sources` run from another folder must open the same database."""
    storage = raw.get("storage")
    if not isinstance(storage, dict):
        return
    url = storage.get("database_url")
    if not isinstance(url, str) or not url.startswith("sqlite:///"):
        return
    path, sep, query = url.removeprefix("sqlite:///").partition("?")
    if not path or path == ":memory:" or Path(path).is_absolute():
        return
    resolved = (file.resolve().parent / path).resolve()
    storage["database_url"] = f"sqlite:///{resolved}{sep}{query}"


def _resolve_relative_paths(settings: Settings, file: Path) -> Settings:
    """Local source paths in the file are relative to the config file's folder."""
    base = file.resolve().parent
    sources = []
    for source in settings.sources:
        url = source.url
        if "://" not in url and not Path(url).is_absolute():
            url = str((base / url).resolve())
        sources.append(source.model_copy(update={"url": url}))
    return settings.model_copy(update={"sources": sources})


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data with every secret masked."""
    data = settings.model_dump(mode="json")
    for path in secret_paths():
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        if node.get(path[-1]):
            node[path[-1]] = "********"
    data["storage"]["database_url"] = masked_url(settings.storage.database_url)
    return data


def masked_url(url: str) -> str:
    """A URL with its password (if any) replaced by ********, for output and messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}"
