"""Settings: config/settings.toml, then QUOTEBOT_* environment variables, then flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from embeddings.dense import KINDS, DenseParams
from embeddings.encoder import BACKENDS
from embeddings.explain import ExplainParams
from embeddings.fusion import METHODS as FUSIONS
from embeddings.search import SearchParams

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_DIR / "config" / "settings.toml"


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which."""


@dataclass(frozen=True)
class Settings:
    corpus: Path
    index: Path
    model: str = "all-MiniLM-L6-v2"
    batch_size: int = 64
    threads: int = 0
    backend: str = "torch"  # "torch" | "onnx" | "onnx-int8": see bench/RESULTS.md
    model_cache: Path | None = None  # ONNX exports; None: <index>/model-cache
    dense: DenseParams = field(default_factory=DenseParams)
    verify_checksums: bool = True
    search_threads: int = 1  # FAISS threads per query
    search: SearchParams = field(default_factory=SearchParams)
    results: int = 5
    max_results: int = 10
    discord_token: str = field(default="", repr=False)  # never in a repr, log or traceback
    admin_ids: frozenset[int] = frozenset()
    dev_guild_id: int = 0
    cooldown_seconds: float = 3.0
    server_limit: int = 30  # commands per server per server_window_seconds (0: no limit)
    server_window_seconds: float = 60.0
    click_limit: int = 10  # button clicks per user per click_window_seconds (0: no limit)
    autocomplete_limit: int = 30  # autocomplete requests per user per click_window_seconds
    click_window_seconds: float = 10.0
    view_timeout_seconds: float = 600.0
    defer_after_seconds: float = 0.5  # a search not done by then shows "thinking…" first
    upload_max_bytes: int = 2 * 1024 * 1024  # /corpus add: the largest file accepted
    # Per-server collections, their trash and audit logs live here (see README, "Servers").
    data: Path | None = None  # None: <index>/../data, beside the index
    trash_days: float = 30.0  # removed and replaced works are kept this long
    on_leave: str = "keep"  # a server's collection when the bot leaves it: "keep" | "delete"
    delete_after_days: float = 30.0  # on_leave = "delete": this long after leaving
    max_builds: int = 1  # index builds at once, across the base and every collection
    explain: ExplainParams = field(default_factory=ExplainParams)  # Explain and /compare
    # Discord sharding: 0 is one unsharded connection; N shards, of which this process runs
    # `shard_ids` (all of them when empty). See README, "More than one process".
    shards: int = 0
    shard_ids: tuple[int, ...] = ()
    watch_seconds: float = 1.0  # how often to look for a build made by another process (0: never)

    @property
    def data_dir(self) -> Path:
        return self.data or self.index.parent / "data"

    @property
    def model_cache_dir(self) -> Path:
        """Where ONNX exports of the model are kept (ours: the model package is read-only)."""
        return self.model_cache or self.index / "model-cache"

    def with_paths(self, corpus: Path | None = None, index: Path | None = None) -> Settings:
        return replace(
            self,
            corpus=corpus.expanduser().resolve() if corpus else self.corpus,
            index=index.expanduser().resolve() if index else self.index,
        )


def _ids(value: Any, name: str) -> frozenset[int]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    try:
        return frozenset(int(str(v).strip()) for v in items if str(v).strip())
    except ValueError as exc:
        raise SettingsError(f"{name} must be a list of numeric Discord IDs") from exc


def _int(value: Any, name: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from exc


ON_LEAVE = ("keep", "delete")


def _days(value: Any, name: str) -> float:
    return _at_least_zero(value, name, "days")


def _at_least_zero(value: Any, name: str, unit: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number < 0:
        raise SettingsError(f"{name} must be a number of {unit} (0 or more), not {value!r}")
    return number


def _positive(value: Any, name: str) -> int:
    number = _int(value, name)
    if number < 1:
        raise SettingsError(f"{name} must be at least 1, not {value!r}")
    return number


def _defer_after(value: Any) -> float:
    # Discord drops an interaction not acknowledged within 3 s; keep a second in hand.
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0.0 <= seconds <= 2.0:
        raise SettingsError(f"bot.defer_after_seconds must be between 0 and 2, not {value!r}")
    return seconds


def shard_plan(shards: Any, shard_ids: Any) -> tuple[int, tuple[int, ...]]:
    """Validated shard settings: a count (0: unsharded) and the ids this process runs."""
    count = _int(shards, "shards")
    if count < 0:
        raise SettingsError(f"shards must be 0 (no sharding) or a number of shards, not {count}")
    text = shard_ids if isinstance(shard_ids, str) else ",".join(str(i) for i in shard_ids or [])
    items = [t.strip() for t in text.split(",") if t.strip()]
    ids: list[int] = []
    for item in items:
        if not item.isdigit():
            raise SettingsError(
                f"shard ids must be whole numbers separated by commas, not {item!r}"
            )
        ids.append(int(item))
    if ids and count == 0:
        raise SettingsError("shard ids need a shard count: set shards (--shards N) too")
    outside = [i for i in ids if i >= count]
    if outside:
        raise SettingsError(
            f"shard id {outside[0]} is out of range: with {count} shards the ids are "
            f"0 to {count - 1}"
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SettingsError(f"shard id {repeated[0]} is given twice; each shard runs once")
    return count, tuple(ids)


def _seconds(value: Any, name: str) -> float:
    return _at_least_zero(value, name, "seconds")


def load_settings(
    config: Path | None = None, env: Mapping[str, str] | None = None, *, dotenv: bool = True
) -> Settings:
    """Read the settings file, then let the environment (and a .env file) override it."""
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(PROJECT_DIR / ".env", override=False)
        env = os.environ
    # A --config flag beats QUOTEBOT_CONFIG (the Docker image sets it), like every flag.
    path = Path(config or env.get("QUOTEBOT_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"The settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"The settings file {path} is not valid TOML: {exc}") from exc
    base = path.resolve().parents[1]
    paths = raw.get("paths", {})
    model = raw.get("model", {})
    index = raw.get("index", {})
    search = raw.get("search", {})
    bot = raw.get("bot", {})

    def resolve(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    d = DenseParams()  # the measured defaults live in one place: embeddings/dense.py
    dense = DenseParams(
        kind=index.get("type", d.kind),
        ann_threshold=int(index.get("ann_threshold", d.ann_threshold)),
        ivf_threshold=int(index.get("ivf_threshold", d.ivf_threshold)),
        hnsw_m=int(index.get("hnsw_m", d.hnsw_m)),
        ef_construction=int(index.get("ef_construction", d.ef_construction)),
        ef_search=int(index.get("ef_search", d.ef_search)),
        nlist=int(index.get("nlist", 0)),
        nprobe=int(index.get("nprobe", 0)),
    )
    if dense.kind not in KINDS:
        raise SettingsError(f"index.type must be one of {', '.join(KINDS)}, not {dense.kind!r}")
    backend = str(env.get("QUOTEBOT_BACKEND") or model.get("backend", "torch"))
    if backend not in BACKENDS:
        raise SettingsError(f"model.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    cache = str(model.get("cache", "") or "")
    defaults = SearchParams()
    params = SearchParams(
        candidates=int(search.get("candidates", defaults.candidates)),
        fusion=str(search.get("fusion", defaults.fusion)),
        alpha=float(search.get("alpha", defaults.alpha)),
        bm25_saturation=float(search.get("bm25_saturation", defaults.bm25_saturation)),
        min_cosine=float(search.get("min_cosine", defaults.min_cosine)),
        min_cosine_lexical=float(search.get("min_cosine_lexical", defaults.min_cosine_lexical)),
        max_query_chars=int(search.get("max_query_chars", defaults.max_query_chars)),
        sentence_weight=float(search.get("sentence_weight", defaults.sentence_weight)),
        smoothing=float(search.get("smoothing", defaults.smoothing)),
        window_words=int(search.get("window_words", defaults.window_words)),
        sentence_candidates=int(search.get("sentence_candidates", defaults.sentence_candidates)),
    )
    if not 0.0 <= params.sentence_weight <= 1.0:
        raise SettingsError("search.sentence_weight must be between 0 and 1")
    for name in ("smoothing", "window_words", "sentence_candidates"):
        if getattr(params, name) < 0:
            raise SettingsError(f"search.{name} must be 0 (off) or more")
    if params.fusion not in FUSIONS:
        raise SettingsError(f"search.fusion must be convex or rrf, not {params.fusion!r}")
    explain = _explain_params(raw.get("explain", {}))
    on_leave = str(bot.get("on_leave", "keep"))
    if on_leave not in ON_LEAVE:
        raise SettingsError(f"bot.on_leave must be one of {', '.join(ON_LEAVE)}, not {on_leave!r}")
    data = env.get("QUOTEBOT_DATA") or paths.get("data", "")
    shards, shard_ids = shard_plan(
        env.get("QUOTEBOT_SHARDS") or bot.get("shards", 0),
        env.get("QUOTEBOT_SHARD_IDS") or bot.get("shard_ids", []),
    )
    return Settings(
        shards=shards,
        shard_ids=shard_ids,
        watch_seconds=_seconds(bot.get("watch_seconds", 1.0), "bot.watch_seconds"),
        data=resolve(data) if data else None,
        trash_days=_days(bot.get("trash_days", 30), "bot.trash_days"),
        on_leave=on_leave,
        delete_after_days=_days(bot.get("delete_after_days", 30), "bot.delete_after_days"),
        max_builds=_positive(bot.get("max_builds", 1), "bot.max_builds"),
        explain=explain,
        corpus=resolve(env.get("QUOTEBOT_CORPUS") or paths.get("corpus", "corpus")),
        index=resolve(env.get("QUOTEBOT_INDEX") or paths.get("index", "index")),
        model=env.get("QUOTEBOT_MODEL") or model.get("name", "all-MiniLM-L6-v2"),
        batch_size=int(model.get("batch_size", 64)),
        threads=_int(env.get("QUOTEBOT_THREADS") or model.get("threads", 0), "threads"),
        backend=backend,
        model_cache=resolve(cache) if cache else None,
        dense=dense,
        verify_checksums=bool(index.get("verify_checksums", True)),
        search_threads=_int(index.get("search_threads", 1), "index.search_threads"),
        search=params,
        results=int(search.get("results", 5)),
        max_results=int(search.get("max_results", 10)),
        discord_token=env.get("DISCORD_TOKEN", "").strip(),
        admin_ids=_ids(env.get("QUOTEBOT_ADMIN_IDS") or bot.get("admin_ids", []), "admin_ids"),
        dev_guild_id=_int(
            env.get("QUOTEBOT_DEV_GUILD") or bot.get("dev_guild_id", 0), "QUOTEBOT_DEV_GUILD"
        ),
        cooldown_seconds=float(bot.get("cooldown_seconds", 3.0)),
        server_limit=int(bot.get("server_limit", 30)),
        server_window_seconds=float(bot.get("server_window_seconds", 60.0)),
        click_limit=_int(bot.get("click_limit", 10), "bot.click_limit"),
        autocomplete_limit=_int(bot.get("autocomplete_limit", 30), "bot.autocomplete_limit"),
        click_window_seconds=float(bot.get("click_window_seconds", 10.0)),
        view_timeout_seconds=float(bot.get("view_timeout_seconds", 600)),
        defer_after_seconds=_defer_after(bot.get("defer_after_seconds", 0.5)),
        upload_max_bytes=_int(bot.get("upload_max_bytes", 2 * 1024 * 1024), "bot.upload_max_bytes"),
    )


def _explain_params(raw: dict[str, object]) -> ExplainParams:
    d = ExplainParams()
    floor = raw.get("compare_floor", d.compare_floor)
    tried = raw.get("terms_tried", d.terms_tried)
    if not isinstance(floor, int | float) or not 0.0 <= float(floor) <= 1.0:
        raise SettingsError(f"explain.compare_floor must be between 0 and 1, not {floor!r}")
    return ExplainParams(
        terms_tried=_positive(tried, "explain.terms_tried"), compare_floor=float(floor)
    )
