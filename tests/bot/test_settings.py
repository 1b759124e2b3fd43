"""Where settings come from: config/settings.toml, then QUOTEBOT_* variables (also read
from a `.env` file in the project folder, which the real environment beats), then flags.

Users meet these through the `quotebot` command, so most tests run it as a process, from a
copy of the project (its own `config/`, no `.env` unless the test writes one), on a
one-file corpus. QUOTEBOT_ADMIN_IDS and QUOTEBOT_DEV_GUILD are met through `quotebot run`:
tests/bot/discord/test_shutdown.py starts it as a process with both set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.messages import describe
from bot.settings import DEFAULT_CONFIG, KEYS, Settings, SettingsError, load_settings
from embeddings import store
from embeddings.encoder import resolve_model_path
from tests.wording import raises_saying

PROJECT = Path(__file__).resolve().parents[2]

ESSAY = """# On Small Circles

A small circle that quarrels over every comma of its programme splits in two, and then in
two again, until each fragment is certain that it alone carries the torch.
"""


def copy_project(dest: Path) -> Path:
    """The code and default settings of the project, without a `.env`, corpus or index."""
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("bot", "embeddings", "config"):
        shutil.copytree(PROJECT / part, dest / part, ignore=ignore)
    return dest


def a_corpus(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True)
    (folder / name).write_text(ESSAY)
    return folder


def quotebot(
    project: Path, *argv: str, env: dict[str, str] | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`quotebot ARGV` (or `python -c CODE`) run from `project`, with no QUOTEBOT_* or
    DISCORD_TOKEN of ours leaking in, and `env` added."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "DISCORD_TOKEN"))
    }
    clean |= {"PYTHONPATH": str(project), "HF_HUB_OFFLINE": "1", **(env or {})}
    command = ["-c", code] if code is not None else ["-m", "bot.cli", *argv]
    return subprocess.run(
        [sys.executable, *command],
        env=clean,
        cwd=project.parent,  # not the project: relative paths must not depend on it
        capture_output=True,
        text=True,
        timeout=300,
    )


def indexed(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The documents a `reindex --json` added."""
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["added"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_the_corpus_index_model_and_threads_come_from_the_environment(
    project: Path, tmp_path: Path
) -> None:
    corpus = a_corpus(tmp_path / "env-corpus", "from-env.md")
    index = tmp_path / "env-index"
    model = resolve_model_path("all-MiniLM-L6-v2")  # the bundled model, named by its folder
    env = {"QUOTEBOT_CORPUS": str(corpus), "QUOTEBOT_INDEX": str(index), "QUOTEBOT_MODEL": model}
    # `quotebot reindex --json`, then the threads torch was left with (QUOTEBOT_THREADS set
    # to anything but torch's own default).
    code = (
        "import json, os, torch\n"
        "wanted = torch.get_num_threads() + 1\n"
        "os.environ['QUOTEBOT_THREADS'] = str(wanted)\n"
        "from bot.cli import main\n"
        "assert main(['reindex', '--json']) == 0\n"
        "print(json.dumps([wanted, torch.get_num_threads()]))\n"
    )
    result = quotebot(project, code=code, env=env)
    assert result.returncode == 0, result.stderr
    report, threads = result.stdout.splitlines()[-2:]
    assert json.loads(report)["added"] == ["from-env.md"]
    assert store.read_manifest(store.current_build(index)).model == model
    assert not (project / "index").exists()  # not the settings file's "index"
    wanted, used = json.loads(threads)
    assert used == wanted


def test_the_settings_file_then_the_environment_then_flags(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    a_corpus(site / "file-corpus", "from-file.md")
    a_corpus(tmp_path / "env-corpus", "from-env.md")
    config = site / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text(
        '[paths]\ncorpus = "file-corpus"\nindex = "file-index"\n[model]\nname = "no-such-model"\n'
    )
    # The file alone (relative paths are relative to its project folder); a --config flag
    # beats QUOTEBOT_CONFIG, as every flag beats the environment.
    only_file = quotebot(
        project,
        "reindex",
        "--json",
        "--config",
        str(config),
        env={
            "QUOTEBOT_CONFIG": str(tmp_path / "missing.toml"),
            "QUOTEBOT_MODEL": "all-MiniLM-L6-v2",
        },
    )
    assert indexed(only_file) == ["from-file.md"]
    assert store.read_current_name(site / "file-index") is not None

    # The environment beats the file; a flag beats both.
    env = {
        "QUOTEBOT_CONFIG": str(config),
        "QUOTEBOT_CORPUS": str(tmp_path / "env-corpus"),
        "QUOTEBOT_INDEX": str(tmp_path / "env-index"),
        "QUOTEBOT_MODEL": "all-MiniLM-L6-v2",  # the file's model does not exist
    }
    flag_index = tmp_path / "flag-index"
    layered = quotebot(project, "reindex", "--json", "--index", str(flag_index), env=env)
    assert indexed(layered) == ["from-env.md"]
    assert store.read_current_name(flag_index) is not None
    assert not (tmp_path / "env-index").exists()


def test_a_dotenv_file_in_the_project_folder_is_read_and_the_environment_beats_it(
    project: Path, tmp_path: Path
) -> None:
    corpus = a_corpus(tmp_path / "dotenv-corpus", "from-dotenv.md")
    (project / ".env").write_text(
        f"QUOTEBOT_CORPUS={corpus}\nQUOTEBOT_INDEX={tmp_path / 'dotenv-index'}\n"
    )
    env_index = tmp_path / "env-index"
    result = quotebot(project, "reindex", "--json", env={"QUOTEBOT_INDEX": str(env_index)})
    assert indexed(result) == ["from-dotenv.md"]
    assert store.read_current_name(env_index) is not None
    assert not (tmp_path / "dotenv-index").exists()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        (
            "QUOTEBOT_THREADS",
            "many",
            "model.threads must be a whole number, not 'many' (from QUOTEBOT_THREADS)",
        ),
        (
            "QUOTEBOT_ADMIN_IDS",
            "alice,bob",
            "bot.admin_ids must be a list of numeric Discord IDs, not 'alice,bob' "
            "(from QUOTEBOT_ADMIN_IDS)",
        ),
        (
            "QUOTEBOT_DEV_GUILD",
            "my-server",
            "bot.dev_guild_id must be a whole number, not 'my-server' (from QUOTEBOT_DEV_GUILD)",
        ),
    ],
)
def test_a_malformed_variable_is_one_line_naming_it_and_exit_1(
    project: Path, variable: str, value: str, says: str
) -> None:
    result = quotebot(project, "source", env={variable: value})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("quotebot: ") and says in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_variables_bot_run_reads(tmp_path: Path) -> None:
    env = {
        "QUOTEBOT_ADMIN_IDS": " 111111111111111111, 222222222222222222 ",
        "QUOTEBOT_DEV_GUILD": "333333333333333333",
        "DISCORD_TOKEN": " abc.def \n",
    }
    settings = load_settings(env=env)
    assert settings.admin_ids == {111111111111111111, 222222222222222222}
    assert settings.dev_guild_id == 333333333333333333
    assert settings.discord_token == "abc.def"
    # Unset, the settings file decides (none, and no development server, by default).
    defaults = load_settings(env={})
    assert defaults.admin_ids == frozenset() and defaults.dev_guild_id == 0
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text("[bot]\nadmin_ids = [444]\ndev_guild_id = 555\n")
    from_file = load_settings(config, env={})
    assert from_file.admin_ids == {444} and from_file.dev_guild_id == 555
    over = load_settings(config, env={"QUOTEBOT_ADMIN_IDS": "666", "QUOTEBOT_DEV_GUILD": "777"})
    assert over.admin_ids == {666} and over.dev_guild_id == 777


def test_a_settings_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    with raises_saying(SettingsError, r"^The settings file .*folder\.toml cannot be read \("):
        load_settings(tmp_path / "folder.toml", env={})
    (tmp_path / "latin1.toml").write_bytes("[bot]\n# caf\xe9\n".encode("latin-1"))
    with raises_saying(SettingsError, r"latin1\.toml cannot be read \(.*utf-8"):
        load_settings(tmp_path / "latin1.toml", env={})
    (tmp_path / "broken.toml").write_text("[bot\n")
    with raises_saying(SettingsError, r"broken\.toml is not valid TOML: "):
        load_settings(tmp_path / "broken.toml", env={})


def test_a_missing_settings_file_is_named(tmp_path: Path) -> None:
    with raises_saying(SettingsError, r"missing\.toml does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


def test_a_bad_value_in_the_file_is_one_line_naming_the_key_and_the_file(project: Path) -> None:
    config = project / "config" / "settings.toml"
    config.write_text(config.read_text().replace("server_limit = 30", 'server_limit = "lots"'))
    result = quotebot(project, "source")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"quotebot: bot.server_limit must be a whole number, not 'lots' (in {config})\n"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "[bot]\nserver_limt = 3\n",
            "There is no setting bot.server_limt (in {file}); did you mean bot.server_limit?",
        ),
        (
            "[bot]\ncandidates = 50\n",
            "There is no setting bot.candidates (in {file}); did you mean search.candidates?",
        ),
        (
            "[serach]\nalpha = 0.5\n",
            "There is no setting [serach] (in {file}); did you mean [search]?",
        ),
        (
            '[search]\nfusion = "max"\n',
            "search.fusion must be one of convex, rrf, dense, bm25, not 'max' (in {file})",
        ),
        ("[search]\nalpha = 1.5\n", "search.alpha must be between 0 and 1, not 1.5 (in {file})"),
        # nan passed every range check and made every answer "no good match".
        ("[search]\nmin_cosine = nan\n", "search.min_cosine must be a number, not nan (in {file})"),
        ("[bot]\ntrash_days = inf\n", "bot.trash_days must be a number, not inf (in {file})"),
        ("[bot]\nmax_builds = 0\n", "bot.max_builds must be at least 1, not 0 (in {file})"),
        (  # the default count is one a reader may ask for (max_results is 10)
            "[search]\nresults = 20\n",
            "search.results must be between 1 and 10, not 20 (in {file})",
        ),
        (  # a pager expires through a token that lasts 15 minutes
            "[bot]\nview_timeout_seconds = 900\n",
            "bot.view_timeout_seconds must be between 0 and 840, not 900 (in {file})",
        ),
        (
            '[index]\nverify_checksums = "no"\n',
            "index.verify_checksums must be true or false, not 'no' (in {file})",
        ),
        (
            "[bot]\ncooldown_seconds = true\n",
            "bot.cooldown_seconds must be a number, not True (in {file})",
        ),
        (
            '[bot]\non_leave = "drop"\n',
            "bot.on_leave must be one of keep, delete, not 'drop' (in {file})",
        ),
        ("bot = 3\n", "[bot] must be a table of settings, not 3 (in {file})"),
    ],
)
def test_every_bad_setting_says_which_key_what_it_must_be_and_where(
    tmp_path: Path, text: str, says: str
) -> None:
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(config, env={})
    assert describe(caught.value) == says.format(file=config)


def test_the_shipped_file_holds_every_key_the_code_reads_at_its_default() -> None:
    shipped = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for section, keys in KEYS.items():
        assert sorted(shipped[section]) == sorted(keys), section
    read = load_settings(env={})
    code = Settings(corpus=read.corpus, index=read.index)  # paths resolve per project folder
    assert read == code


def test_ranking_settings_the_code_reads_are_set_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text("[search]\nrrf_k = 30\nlexical_strength = 0.7\nquery_cache = 0\n")
    params = load_settings(config, env={}).search
    assert (params.rrf_k, params.lexical_strength, params.query_cache) == (30, 0.7, 0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("QUOTEBOT_THREADS", "100000"),  # a reindex segfaulted (20000: libgomp gave up)
        ("QUOTEBOT_THREADS", "99999999999999999999"),  # "internal error (ArgumentError ...)"
    ],
)
def test_a_thread_count_no_machine_can_run_is_refused_naming_the_variable(
    variable: str, value: str
) -> None:
    with raises_saying(SettingsError, rf"^model\.threads .*\(from {variable}\)$"):
        load_settings(env={variable: value})


def test_a_faiss_thread_count_no_machine_can_run_is_refused_naming_the_key(
    tmp_path: Path,
) -> None:
    # It was "internal error (OverflowError: in method 'omp_set_num_threads' ...)".
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text("[index]\nsearch_threads = 99999999999999999999\n")
    with raises_saying(SettingsError, r"^index\.search_threads .*\(in .*settings\.toml\)$"):
        load_settings(config, env={})


def test_a_settings_file_in_the_root_folder_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # QUOTEBOT_CONFIG=/settings.toml (a file mounted into a container): "internal error
    # (IndexError: 1)", since the root folder has no parent for relative paths to start in.
    real = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        return "" if self == Path("/settings.toml") else real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    settings = load_settings(Path("/settings.toml"), env={})
    assert settings.corpus == Path("/corpus") and settings.index == Path("/index")


def test_a_dotenv_file_that_is_not_utf8_is_one_line_naming_it(project: Path) -> None:
    # A .env saved as Windows-1252 (a comment with an accent): "internal error
    # (UnicodeDecodeError ...)", naming neither the file nor what to do.
    (project / ".env").write_bytes("# clé du bot\nQUOTEBOT_THREADS=1\n".encode("cp1252"))
    result = quotebot(project, "source")
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert result.stderr.startswith("quotebot: ") and ".env" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture
def tuned_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose settings name its tuned model "models/tuned", run from elsewhere;
    returns the settings file."""
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    (project / "models" / "tuned").mkdir(parents=True)
    config = project / "config" / "settings.toml"
    config.write_text('[model]\nname = "models/tuned"\n')
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return config


def test_a_model_folder_named_relatively_is_relative_to_the_project_not_the_current_folder(
    tuned_project: Path,
) -> None:
    """config/settings.toml: "Relative paths, here and in the variables, are relative to the
    folder above this file's folder". A tuned model in <project>/models/tuned named
    "models/tuned" must be the same folder whatever folder quotebot is started from."""
    config = tuned_project
    wanted = str((config.parent.parent / "models" / "tuned").resolve())
    assert load_settings(config, env={}).model_path == wanted
    assert load_settings(config, env={"QUOTEBOT_MODEL": "models/tuned"}).model_path == wanted
    # The bundled model and hub names are names, not folders.
    bundled = load_settings(config, env={"QUOTEBOT_MODEL": "all-MiniLM-L6-v2"})
    assert (bundled.model, bundled.model_path) == ("all-MiniLM-L6-v2", "")


def test_a_relative_model_folder_keeps_the_name_its_indexes_record(tuned_project: Path) -> None:
    """An index records the model by its configured name (`Encoder.model_id`) and refuses
    another ("run a reindex"), and a reindex reuses no vector of another name. An index
    built with `name = "models/tuned"` recorded "models/tuned": the same settings must
    still name that model, found relative to the project whatever the current folder."""
    from embeddings.encoder import Encoder

    settings = load_settings(tuned_project, env={})
    assert Encoder(settings.model).model_id == "models/tuned"  # what its indexes recorded
    encoder = Encoder(settings.model, path=settings.model_path or None)
    assert encoder.model_id == "models/tuned"
    assert encoder.path == str((tuned_project.parent.parent / "models" / "tuned").resolve())
