"""Settings: config/settings.toml, then QUOTEBOT_* environment variables, then flags.

One frozen dataclass per section of the file ([paths], [model], [index], [search],
[explain], [bot]); `Settings` is all of them at once, flat, as the app reads it. A field is
a key of its section (`setting()` names a key spelt otherwise and the variable that
overrides it) and holds the key's one default. [index], [search] and [explain] also hold
the core's parameters (`DenseParams`, `SearchParams`, `ExplainParams`): their fields are
keys of the section too. `load_settings` reads every key by its field's type; a wrong type,
a number outside its range (`RANGES`) or a key no section has is a one-line SettingsError
naming the key and the file.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from embeddings.dense import DenseParams
from embeddings.encoder import DEFAULT_MODEL, PASSAGE_BATCH, Backend
from embeddings.errors import SettingsError
from embeddings.explain import ExplainParams
from embeddings.search import SearchParams

__all__ = ["Settings", "SettingsError", "load_settings", "shard_plan"]

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_DIR / "config" / "settings.toml"

OnLeave = Literal["keep", "delete"]


def meta(
    *, key: str = "", env: str = "", file: bool = True, renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A field's metadata beyond its default: `key`, the file's name for it when it
    differs; `env`, the variable that overrides the file; `file=False`, set by the
    environment only; `renamed`, for the core's parameters, file keys spelt otherwise."""
    return {"key": key, "env": env, "file": file, "renamed": dict(renamed or {})}


@dataclass(frozen=True, kw_only=True)
class PathSettings:
    """[paths]: relative paths are relative to the project folder (the settings file's
    folder's parent)."""

    corpus: Path = field(default=Path("corpus"), metadata=meta(env="QUOTEBOT_CORPUS"))
    index: Path = field(default=Path("index"), metadata=meta(env="QUOTEBOT_INDEX"))
    # Per-server collections, their trash and audit logs (see README, "Servers"); None:
    # data/ beside the index.
    data: Path | None = field(default=None, metadata=meta(env="QUOTEBOT_DATA"))


@dataclass(frozen=True, kw_only=True)
class ModelSettings:
    """[model]: the embedding model and how it runs."""

    model: str = field(default=DEFAULT_MODEL, metadata=meta(key="name", env="QUOTEBOT_MODEL"))
    # The folder `model` names relative to the project ("" when it names none): loaded from
    # there, while `model`, as written, stays the name its indexes record.
    model_path: str = field(default="", metadata=meta(file=False))
    batch_size: int = PASSAGE_BATCH
    threads: int = field(default=0, metadata=meta(env="QUOTEBOT_THREADS"))  # 0: torch decides
    # "onnx" gives torch's vectors, "onnx-int8" needs its own index: see bench/RESULTS.md.
    backend: Backend = field(default="torch", metadata=meta(env="QUOTEBOT_BACKEND"))
    # Where ONNX exports are kept; None: <index>/model-cache.
    model_cache: Path | None = field(default=None, metadata=meta(key="cache"))


@dataclass(frozen=True, kw_only=True)
class IndexSettings:
    """[index]: the dense index's parameters (its `type` is `DenseParams.kind`), and how
    an index is loaded and searched."""

    dense: DenseParams = field(default_factory=DenseParams, metadata=meta(renamed={"type": "kind"}))
    verify_checksums: bool = True
    search_threads: int = 1  # FAISS threads per query


@dataclass(frozen=True, kw_only=True)
class SearchSettings:
    """[search]: the ranking's parameters, and how many quotes a search shows."""

    search: SearchParams = field(default_factory=SearchParams)
    results: int = 5
    max_results: int = 10


@dataclass(frozen=True, kw_only=True)
class ExplainSettings:
    """[explain]: Explain and /compare."""

    explain: ExplainParams = field(default_factory=ExplainParams)


@dataclass(frozen=True, kw_only=True)
class BotSettings:
    """[bot]: the Discord bot, its limits, and the servers' own collections."""

    # Never in the file, a repr, a log or a traceback.
    discord_token: str = field(
        default="", repr=False, metadata=meta(env="DISCORD_TOKEN", file=False)
    )
    admin_ids: frozenset[int] = field(default=frozenset(), metadata=meta(env="QUOTEBOT_ADMIN_IDS"))
    dev_guild_id: int = field(default=0, metadata=meta(env="QUOTEBOT_DEV_GUILD"))
    cooldown_seconds: float = 3.0
    server_limit: int = 30  # commands per server per server_window_seconds (0: no limit)
    server_window_seconds: float = 60.0
    click_limit: int = 10  # button clicks per user per click_window_seconds (0: no limit)
    autocomplete_limit: int = 30  # autocomplete requests per user per click_window_seconds
    click_window_seconds: float = 10.0
    view_timeout_seconds: float = 600.0
    defer_after_seconds: float = 0.5  # a search not done by then shows "thinking…" first
    upload_max_bytes: int = 2 * 1024 * 1024  # /corpus add: the largest file accepted
    # A server's texts and its trash together (0: no limit); the base is the owners'. Its
    # index takes about 17 times its texts (vectors of passages, sentences): 16 MiB of
    # texts (three King James Bibles) is a few hundred MB of disk.
    server_max_bytes: int = 16 * 1024 * 1024
    trash_days: float = 30.0  # removed and replaced works are kept this long
    on_leave: OnLeave = "keep"  # a server's collection when the bot leaves it
    delete_after_days: float = 30.0  # on_leave = "delete": this long after leaving
    max_builds: int = 1  # index builds at once, across the base and every collection
    # Servers whose own index, view of the base (with its answers) and state are kept in
    # memory; the one asked least lately is let go, and read from disk at its next question.
    servers_in_memory: int = 256
    # Discord sharding: 0 is one unsharded connection; N shards, of which this process runs
    # `shard_ids` (all of them when empty). See README, "More than one process".
    shards: int = field(default=0, metadata=meta(env="QUOTEBOT_SHARDS"))
    shard_ids: tuple[int, ...] = field(default=(), metadata=meta(env="QUOTEBOT_SHARD_IDS"))
    watch_seconds: float = 1.0  # how often to look for a build made by another process (0: never)


@dataclass(frozen=True, kw_only=True)
class Settings(
    BotSettings, ExplainSettings, SearchSettings, IndexSettings, ModelSettings, PathSettings
):
    """Every section at once, flat: `settings.server_limit`, `settings.search.alpha`."""

    @property
    def data_dir(self) -> Path:
        return self.data or self.index.parent / "data"

    @property
    def model_cache_dir(self) -> Path:
        """Where ONNX exports of the model are kept (ours: the model package is read-only)."""
        return self.model_cache or self.index / "model-cache"

    @property
    def host_folders(self) -> tuple[Path, ...]:
        """The host's folders that messages may name: the owners' to read, not a server's."""
        folders = [self.corpus, self.index, self.data_dir, self.model_cache_dir]
        model = Path(self.model_path or self.model).expanduser()
        if model.is_absolute() or len(model.parts) > 1:
            folders.append(model)
        return tuple(f.expanduser().resolve() for f in folders)

    def with_paths(self, corpus: Path | None = None, index: Path | None = None) -> Settings:
        return replace(
            self,
            corpus=corpus.expanduser().resolve() if corpus else self.corpus,
            index=index.expanduser().resolve() if index else self.index,
        )


SECTIONS: dict[str, type] = {
    "paths": PathSettings,
    "model": ModelSettings,
    "index": IndexSettings,
    "search": SearchSettings,
    "explain": ExplainSettings,
    "bot": BotSettings,
}

# The values a number may take beyond its type: at least 0 (`NOT_NEGATIVE`: counts, sizes,
# seconds, limits), unless its key is here: (lowest, highest), None for no bound.
NOT_NEGATIVE: tuple[float | None, float | None] = (0, None)
MAX_THREADS = 1024  # far beyond any machine's cores, far below what makes a process fail
RANGES: dict[str, tuple[float | None, float | None]] = {
    **dict.fromkeys(
        (
            "model.batch_size",
            "index.hnsw_m",
            "index.rescore",
            "index.ef_construction",
            "index.ef_search",
            "index.companion_ef_search",
            "search.candidates",
            "search.max_query_chars",
            "search.query_pass",
            "search.results",
            "search.max_results",
            "explain.terms_tried",
            "explain.max_term_count",
            "explain.compare_candidates",
            "bot.upload_max_bytes",
            "bot.max_builds",
            "bot.servers_in_memory",
        ),
        (1, None),
    ),
    **dict.fromkeys(
        (
            "search.alpha",
            "search.lexical_strength",
            "search.sentence_weight",
            "search.companion_weight",
            "explain.compare_floor",
        ),
        (0, 1),
    ),
    **dict.fromkeys(
        (
            "search.min_cosine",
            "search.min_cosine_lexical",
            "search.min_cosine_unanchored",
        ),
        (-1, 1),
    ),
    # Discord drops an interaction not acknowledged within 3 s; keep a second in hand.
    "bot.defer_after_seconds": (0, 2),
    # A pager expires by editing its message through the token of the click that last
    # turned its page (or of the command), which lasts 15 minutes: a minute in hand.
    "bot.view_timeout_seconds": (0, 840),
    "bot.shards": (None, None),  # shard_plan refuses a negative count with its own error
    # Threads are made, not counted: torch and OpenMP hung at 5,000, aborted at 20,000 and
    # crashed at 100,000 (a segfault), and a 64-bit count overflowed into "internal error".
    "model.threads": (0, MAX_THREADS),
    "index.search_threads": (0, MAX_THREADS),
}


@dataclass(frozen=True)
class _Key:
    """One key of a section: the field it sets, inside `params` when it is one of the
    core's parameters (`dense`, `search`, `explain`)."""

    section: str
    name: str  # as the file spells it
    field: Field[Any]
    hint: Any
    params: Field[Any] | None = None

    @property
    def full(self) -> str:
        return f"{self.section}.{self.name}"


def _keys(section: str, cls: type) -> list[_Key]:
    hints = get_type_hints(cls)
    keys: list[_Key] = []
    for f in fields(cls):
        hint = hints[f.name]
        if is_dataclass(hint):
            spelt = {inner: outer for outer, inner in f.metadata.get("renamed", {}).items()}
            inner_hints = get_type_hints(hint)
            for p in fields(hint):
                name = spelt.get(p.name, p.name)
                keys.append(_Key(section, name, p, inner_hints[p.name], params=f))
        else:
            keys.append(_Key(section, f.metadata.get("key") or f.name, f, hint))
    return keys


_ALL = [key for name, cls in SECTIONS.items() for key in _keys(name, cls)]
# The keys of each section the file may set, and the variables that override keys.
KEYS: dict[str, dict[str, _Key]] = {
    name: {k.name: k for k in _ALL if k.section == name and k.field.metadata.get("file", True)}
    for name in SECTIONS
}
VARIABLES: dict[str, _Key] = {
    k.field.metadata["env"]: k for k in _ALL if k.field.metadata.get("env")
}


def load_settings(
    config: Path | None = None, env: Mapping[str, str] | None = None, *, dotenv: bool = True
) -> Settings:
    """Read the settings file, then let the environment (and a .env file) override it."""
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            dotenv_path = PROJECT_DIR / ".env"
            try:
                load_dotenv(dotenv_path, override=False)
            except (OSError, UnicodeDecodeError) as exc:  # not UTF-8, no permission
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise SettingsError("unreadable", source=str(dotenv_path), detail=why) from exc
        env = os.environ
    # A --config flag beats QUOTEBOT_CONFIG (the Docker image sets it), like every flag.
    path = Path(config or env.get("QUOTEBOT_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError("no_file", source=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, not UTF-8
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError("unreadable", source=str(path), detail=why) from exc
    except tomllib.TOMLDecodeError as exc:
        detail = " ".join(str(exc).split())
        raise SettingsError("not_toml", source=str(path), detail=detail) from exc
    # .parent twice, not parents[1]: a file in the root folder (a container's
    # /settings.toml) has no parents[1], and its relative paths start at the root.
    reader = _Reader(str(path), path.resolve().parent.parent)
    values: dict[str, Any] = {}
    params: dict[str, dict[str, Any]] = {}
    for section, table in _tables(raw, str(path)).items():
        for name, value in table.items():
            key = _known(section, name, str(path))
            if key.params is None:
                values[key.field.name] = reader.file_value(key, value)
            else:
                params.setdefault(key.params.name, {})[key.field.name] = reader.file_value(
                    key, value
                )
    for variable, key in VARIABLES.items():
        if env.get(variable, "").strip():
            values[key.field.name] = reader.env_value(key, variable, env[variable].strip())
    values["model_path"] = reader.model(values.get("model", DEFAULT_MODEL))
    for name in ("corpus", "index"):  # the defaults are relative to the project too
        values.setdefault(name, reader.path(str(getattr(PathSettings(), name))))
    defaults = Settings()
    for name, given in params.items():
        values[name] = replace(getattr(defaults, name), **given)
    shown, most = (values.get(n, getattr(defaults, n)) for n in ("results", "max_results"))
    if shown > most:  # the default count is one a reader may ask for
        raise SettingsError("range", "search.results", shown, str(path), low=1, high=most)
    try:
        values["shards"], values["shard_ids"] = shard_plan(
            values.get("shards", defaults.shards), values.get("shard_ids", defaults.shard_ids)
        )
    except SettingsError as exc:  # name where the value came from, as for any setting
        variable = next(v for v, k in VARIABLES.items() if k.name == exc.key)
        from_env = bool(env.get(variable, "").strip())
        exc.variable, exc.source = (variable, "") if from_env else ("", str(path))
        raise
    return Settings(**values)


def _tables(raw: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """The file's sections, each a table of keys; SettingsError for anything else."""
    for name, table in raw.items():
        if name not in SECTIONS:
            near = _closest(name, list(SECTIONS))
            hint = _elsewhere(name) or (f"[{near}]" if near else "")
            raise SettingsError("unknown", f"[{name}]", source=source, suggestion=hint)
        if not isinstance(table, dict):
            raise SettingsError("not_table", name, table, source)
    return raw


def _known(section: str, name: str, source: str) -> _Key:
    key = KEYS[section].get(name)
    if key is not None:
        return key
    near = _closest(name, list(KEYS[section]))
    hint = f"{section}.{near}" if near else _elsewhere(name)
    raise SettingsError("unknown", f"{section}.{name}", source=source, suggestion=hint)


def _elsewhere(name: str) -> str:
    """The key `name` of another section ("search.candidates" for [bot] candidates)."""
    return next((k.full for keys in KEYS.values() for k in keys.values() if k.name == name), "")


def _closest(word: str, names: list[str]) -> str:
    from rapidfuzz import fuzz, process  # only when a key is wrong

    found = process.extractOne(word, names, scorer=fuzz.ratio, score_cutoff=70)
    return str(found[0]) if found else ""


@dataclass(frozen=True)
class _Reader:
    """Values as their fields' types: from the file (TOML types) or a variable (text)."""

    source: str  # the settings file
    base: Path  # relative paths start here

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base / p).resolve()

    def model(self, value: str) -> str:
        """The folder a model named relatively names: relative to the project, as every
        path here is (not to the current folder); "" for a bundled or hub name, or an
        absolute one."""
        p = Path(value).expanduser()
        if p.is_absolute() or not value.strip():
            return ""
        folder = self.base / p
        return str(folder.resolve()) if folder.is_dir() else ""

    def file_value(self, key: _Key, value: Any) -> Any:
        return self._typed(key, value, source=self.source)

    def env_value(self, key: _Key, variable: str, value: str) -> Any:
        return self._typed(key, value, variable=variable)

    def _typed(self, key: _Key, value: Any, *, source: str = "", variable: str = "") -> Any:
        hint, text = key.hint, bool(variable)

        def wrong(problem: Any = "type", **more: Any) -> SettingsError:
            return SettingsError(problem, key.full, value, source, variable, **more)

        if get_origin(hint) is Literal:
            if value not in get_args(hint):
                raise wrong("choice", choices=tuple(str(c) for c in get_args(hint)))
            return value
        if hint is Path or Path in get_args(hint):
            if not isinstance(value, str):
                raise wrong(kind="text")
            if not value and type(None) in get_args(hint):
                return None
            return self.path(value)
        if hint == frozenset[int]:
            items = value.split(",") if isinstance(value, str) else value
            try:
                return frozenset(int(str(v).strip()) for v in items if str(v).strip())
            except (TypeError, ValueError) as exc:
                raise wrong(kind="ids") from exc
        if hint == tuple[int, ...]:
            return value  # shard ids: shard_plan reads and checks them with the count
        if hint is bool:
            if not isinstance(value, bool):
                raise wrong(kind="bool")
            return value
        if hint is str:
            if not isinstance(value, str):
                raise wrong(kind="text")
            return value
        number = _number(value, integer=hint is int, text=text)
        if number is None:
            raise wrong(kind="int" if hint is int else "float")
        low, high = RANGES.get(key.full, NOT_NEGATIVE)
        if (low is not None and number < low) or (high is not None and number > high):
            raise wrong("range", low=low, high=high)
        return number


def _number(value: Any, *, integer: bool, text: bool) -> int | float | None:
    """`value` as an int (or a float), None when it is not one. A variable is text; the
    file's numbers are TOML numbers (a float setting may be written as a whole number).
    nan and inf are no numbers here: nan passes every range check (each comparison is
    false) and made every answer "no good match"."""
    if text and isinstance(value, str):
        try:
            number: int | float = int(value) if integer else float(value)
        except ValueError:
            return None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return None
    elif integer:
        if not isinstance(value, int):
            return None
        number = value
    else:
        number = float(value)
    return number if math.isfinite(number) else None


def shard_plan(shards: Any, shard_ids: Any) -> tuple[int, tuple[int, ...]]:
    """Validated shard settings: a count (0: unsharded) and the ids this process runs."""
    try:
        count = int(shards or 0)
    except (TypeError, ValueError) as exc:
        raise SettingsError("type", "shards", shards, kind="int") from exc
    if count < 0:
        raise SettingsError("shard_count", "shards", count)
    text = shard_ids if isinstance(shard_ids, str) else ",".join(str(i) for i in shard_ids or [])
    items = [t.strip() for t in text.split(",") if t.strip()]
    ids: list[int] = []
    for item in items:
        if not item.isdigit():
            raise SettingsError("shard_id", "shard_ids", item)
        ids.append(int(item))
    if ids and count == 0:
        raise SettingsError("shard_ids_alone", "shard_ids")
    outside = [i for i in ids if i >= count]
    if outside:
        raise SettingsError("shard_outside", "shard_ids", outside[0], count=count)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SettingsError("shard_twice", "shard_ids", repeated[0])
    return count, tuple(ids)
