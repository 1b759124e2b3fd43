"""`quotebot corpus …` and `--collection GUILD_ID`: the operator inspects and repairs the
base corpus and any server's texts without Discord, through the same rules, trash and
audit log as /corpus."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.commands.sidecar import UNREADABLE_DATE
from bot.servers import Collection
from tests.bot.test_servers import GARDEN, GARDEN_QUERY

SERVER = "333333333333333333"

pytestmark = pytest.mark.usefixtures("shared_model")  # the session's model, not another


@pytest.fixture(autouse=True)
def _fallbacks_away_from_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a command goes when a --corpus or --index it was given is lost: never into
    the repository's own corpus (a lost option once acted on the default base corpus)."""
    for name in ("CORPUS", "INDEX"):
        monkeypatch.setenv(f"QUOTEBOT_{name}", str(tmp_path / "fallback" / name.lower()))


@pytest.fixture
def paths(fresh_app: App) -> list[str]:
    return ["--corpus", str(fresh_app.settings.corpus), "--index", str(fresh_app.settings.index)]


@pytest.fixture
def almanac(tmp_path: Path) -> Path:
    path = tmp_path / "upload" / "almanac.txt"
    path.parent.mkdir()
    path.write_bytes(GARDEN)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # a usage error: argparse exits as the shell would see it
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def titles(capsys: pytest.CaptureFixture[str], paths: list[str], *scope: str) -> list[str]:
    code, out, _ = run(capsys, "quote", GARDEN_QUERY, *paths, *scope, "--json")
    assert code == 0
    return [r["title"] for r in json.loads(out)["results"]]


def test_an_operator_adds_to_one_servers_texts_and_only_that_server_sees_them(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path, fresh_app: App
) -> None:
    code, out, _ = run(
        capsys, "corpus", "add", str(almanac), *paths, "--collection", SERVER,
        "--title", "The Beekeeper's Almanac",
    )  # fmt: skip
    assert code == 0 and "Added “The Beekeeper's Almanac”" in out
    assert not (fresh_app.settings.corpus / "almanac.txt").exists()
    assert titles(capsys, paths, "--collection", SERVER)[0] == "The Beekeeper's Almanac"
    assert "The Beekeeper's Almanac" not in titles(capsys, paths)
    code, out, _ = run(capsys, "source", *paths, "--collection", SERVER, "--json")
    files = [f for w in json.loads(out) for f in w["files"]]
    assert "server/almanac.txt" in files
    code, out, _ = run(capsys, "reindex", *paths, "--collection", SERVER)
    assert code == 0 and "up to date: 1 documents" in out


def test_remove_goes_to_the_trash_restore_brings_it_back_and_the_log_says_who(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path
) -> None:
    scope = ("--collection", SERVER)
    run(capsys, "corpus", "add", str(almanac), *paths, *scope)
    code, out, _ = run(capsys, "corpus", "remove", "almanac.txt", *paths, *scope)
    assert code == 0 and f"undo: quotebot corpus restore --collection {SERVER}" in out
    assert "Almanac" not in titles(capsys, paths, *scope)  # titled by its file name
    code, out, _ = run(capsys, "corpus", "restore", "almanac.txt", *paths, *scope)
    assert code == 0 and "Restored" in out
    assert titles(capsys, paths, *scope)[0] == "Almanac"
    code, out, _ = run(capsys, "corpus", "log", *paths, *scope, "--json")
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["action"] for e in entries] == ["add", "remove", "restore"]
    assert all("(command line)" in e["user_name"] and e["result"] == "ok" for e in entries)


def test_the_operator_owns_the_base(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path, fresh_app: App
) -> None:
    code, _, _ = run(capsys, "corpus", "add", str(almanac), *paths)
    assert code == 0 and (fresh_app.settings.corpus / "almanac.txt").exists()
    assert titles(capsys, paths)[0] == "Almanac"  # the file name: no title was given
    code, out, _ = run(capsys, "corpus", "log", *paths)
    assert code == 0 and "add  almanac.txt  ok" in out


def test_hiding_names_a_server_and_a_server_id_is_digits(
    capsys: pytest.CaptureFixture[str], paths: list[str]
) -> None:
    code, _, err = run(capsys, "corpus", "hide", "Anatomy of the Micro-Sect", *paths)
    assert code == 2 and "--collection GUILD_ID" in err
    code, _, err = run(capsys, "quote", "sect", *paths, "--collection", "../../etc")
    assert code == 2 and "a positive whole number" in err
    code, out, _ = run(
        capsys, "corpus", "hide", "Anatomy of the Micro-Sect", *paths, "--collection", SERVER
    )
    assert code == 0 and f"hidden in {SERVER}" in out
    code, out, _ = run(capsys, "source", *paths, "--collection", SERVER, "--json")
    assert "Anatomy of the Micro-Sect" not in {w["title"] for w in json.loads(out)}


def test_removing_a_work_that_is_not_there_is_one_line(
    capsys: pytest.CaptureFixture[str], paths: list[str]
) -> None:
    code, _, err = run(capsys, "corpus", "remove", "Necronomicon", *paths, "--collection", SERVER)
    assert code == 1 and err.strip() == (
        "quotebot: No work called “Necronomicon” is in this server's texts; /source lists them."
    )
    code, _, err = run(capsys, "corpus", "remove", "Necronomicon", *paths)
    assert code == 1 and err.strip() == (
        "quotebot: No work called “Necronomicon” is in the base corpus; /source lists them."
    )


@pytest.mark.parametrize(("how", "exit_code"), [("busy", 1), ("interrupted", 130)])
def test_a_change_the_index_does_not_show_yet_says_so_and_what_to_run(
    capsys: pytest.CaptureFixture[str],
    paths: list[str],
    almanac: Path,
    fresh_app: App,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    exit_code: int,
) -> None:
    # "busy": another build outlasts the wait; "interrupted": Ctrl-C during the reindex,
    # which said only "Interrupted." while the file was in the corpus and the log.
    from bot.commands import corpus as texts
    from embeddings import store

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(texts, "WAIT_FOR_BUILD", 0.2)
    if how == "interrupted":
        monkeypatch.setattr(Collection, "reindex", interrupted)
    held = store.build_lock(fresh_app.settings.index) if how == "busy" else contextlib.nullcontext()
    with held:
        code, out, err = run(capsys, "corpus", "add", str(almanac), *paths)
    assert code == exit_code
    assert out.startswith("Added “almanac.txt”")  # the file is in, and the trash rules hold
    assert "The index is not updated" in err and "Run `quotebot reindex`" in err
    assert (Path(fresh_app.settings.corpus) / "almanac.txt").read_bytes() == GARDEN


def test_the_trash_lists_each_version_by_a_name_restore_takes(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path, fresh_app: App
) -> None:
    scope = [*paths, "--collection", SERVER]
    assert run(capsys, "corpus", "trash", *scope)[1] == "(the trash is empty)\n"
    run(capsys, "corpus", "add", str(almanac), *scope, "--title", "The Beekeeper's Almanac")
    for season in (b"early summer", b"high summer"):
        almanac.write_bytes(GARDEN.replace(b"late spring", season))
        assert run(capsys, "corpus", "add", str(almanac), *scope, "--replace")[0] == 0
    code, out, _ = run(capsys, "corpus", "trash", *scope, "--json")
    listed = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [t["reason"] for t in listed] == ["replaced", "replaced"]
    oldest = listed[-1]["name"]
    assert oldest.startswith("The Beekeeper's Almanac · replaced ")
    code, out, _ = run(capsys, "corpus", "restore", oldest, *scope)
    assert code == 0 and "In the trash; undo:" in out  # the version it swapped out
    restored = fresh_app.collections.of(int(SERVER)).corpus / "almanac.txt"
    assert b"late spring" in restored.read_bytes()


def test_options_given_before_the_action_are_kept_not_reset_by_the_actions_defaults(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path, fresh_app: App
) -> None:
    # `corpus --collection G --corpus C add FILE` used to act on the default base corpus:
    # the action's own defaults overwrote what came before it.
    code, out, _ = run(
        capsys, "corpus", *paths, "--collection", SERVER, "add", str(almanac),
        "--title", "The Beekeeper's Almanac",
    )  # fmt: skip
    assert code == 0 and "Added" in out
    assert not (fresh_app.settings.corpus / "almanac.txt").exists()
    assert titles(capsys, paths, "--collection", SERVER)[0] == "The Beekeeper's Almanac"
    code, out, _ = run(capsys, "corpus", *paths, "--collection", SERVER, "log")
    assert code == 0 and "add  The Beekeeper's Almanac  ok" in out
    # Given after the action, or before the command, they count too.
    code, out, _ = run(capsys, "corpus", "log", *paths, "--collection", SERVER)
    assert code == 0 and "add  The Beekeeper's Almanac  ok" in out
    code, out, _ = run(capsys, *paths, "corpus", "log", "--collection", SERVER)
    assert code == 0 and "add  The Beekeeper's Almanac  ok" in out
    code, out, _ = run(capsys, *paths, "quote", GARDEN_QUERY, "--collection", SERVER, "--json")
    assert code == 0 and json.loads(out)["results"][0]["title"] == "The Beekeeper's Almanac"


def test_a_device_or_a_pipe_is_refused_unread_and_a_big_file_by_its_size(
    capsys: pytest.CaptureFixture[str], paths: list[str], tmp_path: Path, fresh_app: App
) -> None:
    # `corpus add /dev/zero` read until the machine ran out of memory; a FIFO waited forever.
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for device in ("/dev/zero", str(fifo)):
        code, _, err = run(capsys, "corpus", "add", device, *paths)
        assert code == 1 and "is not a regular file" in err and "\n" not in err.strip()
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(fresh_app.settings.upload_max_bytes * 4)  # sparse: its size, not its bytes
    code, _, err = run(capsys, "corpus", "add", str(big), *paths)
    assert code == 1 and "That file is 8.0 MB" in err
    assert not (fresh_app.settings.corpus / "big.txt").exists()


def test_a_date_the_indexer_cannot_read_is_refused_before_any_file_is_written(
    capsys: pytest.CaptureFixture[str], paths: list[str], almanac: Path, fresh_app: App
) -> None:
    corpus = fresh_app.settings.corpus
    before = sorted(corpus.rglob("*"))
    code, _, err = run(capsys, "corpus", "add", str(almanac), *paths, "--date", "next Tuesday")
    assert code == 1 and UNREADABLE_DATE in err and err.count("\n") == 1
    assert sorted(corpus.rglob("*")) == before


def test_a_data_folder_that_cannot_be_used_refuses_the_change_before_any_file_is_written(
    capsys: pytest.CaptureFixture[str],
    paths: list[str],
    almanac: Path,
    fresh_app: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The text was written, then the trash or the log failed: "internal error", the text
    # in the corpus unlogged, and a retry told it was there already.
    not_a_folder = tmp_path / "datafile"
    not_a_folder.write_text("hi")
    monkeypatch.setenv("QUOTEBOT_DATA", str(not_a_folder))
    code, _, err = run(capsys, "corpus", "add", str(almanac), *paths)
    assert code == 1 and err.count("\n") == 1 and "Nothing changed: the data folder" in err
    assert not (fresh_app.settings.corpus / "almanac.txt").exists()
    code, _, err = run(capsys, "corpus", "remove", "Anatomy of the Micro-Sect", *paths)
    assert code == 1 and "Nothing changed: the data folder" in err
