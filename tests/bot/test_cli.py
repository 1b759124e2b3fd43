"""The `quotebot` command line: JSON output, stdin streaming, clear usage errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.cli import main


def run(app: App, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    paths = ["--corpus", str(app.settings.corpus), "--index", str(app.settings.index)]
    code = main([argv[0], *paths, *argv[1:]])
    out, err = capsys.readouterr()
    return code, out, err


pytestmark = pytest.mark.usefixtures("shared_model")  # the session's model, not another


def test_quote_json_gives_verbatim_results_with_their_citation(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(seed_app, capsys, "quote", "what is a sect?", "-k", "3", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["query"] == "what is a sect?"
    assert 1 <= len(answer["results"]) <= 3
    first = answer["results"][0]
    assert set(first) >= {"text", "author", "title", "section", "date", "url", "source", "score"}
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def answered_lines(
    app: App,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    stdin: str,
) -> list[dict[str, Any]]:
    """`quotebot COMMAND -` over `stdin`: one JSON object per line, exit code 0."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code, out, _ = run(app, capsys, command, "-")
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_queries_from_stdin_are_answered_one_json_line_each(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "what is a sect\n\nthe the the\ngiving credit\n"
    lines = answered_lines(seed_app, capsys, monkeypatch, "quote", stdin)
    # A line of output for each line of input, a blank one included: a script pairs them.
    assert [line["query"] for line in lines] == [
        "what is a sect",
        "",
        "the the the",
        "giving credit",
    ]
    assert lines[0]["results"] and lines[3]["results"]
    assert lines[1]["results"] == [] and lines[1]["error"]
    assert lines[2]["results"] == [] and "common words" in lines[2]["error"]


def test_a_stream_of_queries_none_of_which_could_be_answered_fails(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An author no work has failed every line, and the run exited 0.
    monkeypatch.setattr(sys, "stdin", io.StringIO("what is a sect\ngiving credit\n"))
    code, out, _ = run(seed_app, capsys, "quote", "-", "--author", "nobody at all")
    assert code == 1 and all(json.loads(line)["error"] for line in out.splitlines())


def test_terms_from_stdin_are_answered_one_json_line_each(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = answered_lines(seed_app, capsys, monkeypatch, "define", "sectarianism\n!!!\n")
    assert [line["query"] for line in lines] == ["sectarianism", "!!!"]
    assert lines[0]["results"] and "error" not in lines[0]
    assert lines[1]["results"] == [] and "error" in lines[1]


def test_a_reader_that_stops_early_ends_the_answers_quietly(seed_app: App) -> None:
    # `quotebot quote - < questions | head -1`: the pipe closes under the answers.
    paths = ["--corpus", str(seed_app.settings.corpus), "--index", str(seed_app.settings.index)]
    command = [sys.executable, "-m", "bot.cli", "quote", "-", *paths]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(b"what is a sect\n" * 2000)  # far more than a pipe holds
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["query"] == "what is a sect"
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0
    assert "internal error" not in err and "Broken pipe" not in err and "Traceback" not in err


def piped(data: bytes, errors: str) -> io.TextIOWrapper:
    """Standard input as Python opens it: `errors` is "strict" in most UTF-8 locales,
    "surrogateescape" in the C and C.UTF-8 ones."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors)


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_a_line_that_is_not_utf8_is_read_in_its_own_encoding_and_said_so(
    seed_app: App,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    errors: str,
) -> None:
    # A Windows-1252 file piped in: the é ended the run with an internal error in a strict
    # locale, and was dropped without a word in the others ("caf society").
    stdin = "what is a sect\ncafé society and its sects\nsectarianism\n".encode("cp1252")
    monkeypatch.setattr(sys, "stdin", piped(stdin, errors))
    code, out, err = run(seed_app, capsys, "quote", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["query"] for line in lines] == [
        "what is a sect",
        "café society and its sects",
        "sectarianism",
    ]
    assert all(line["results"] for line in lines)
    assert err == "quotebot: line 2 is not UTF-8; read as Windows-1252\n"


def test_a_byte_that_not_even_windows_1252_has_is_read_as_latin_1(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Latin-1 reads it as a control character, which a query's cleaning then drops.
    monkeypatch.setattr(sys, "stdin", piped(b"sects \x81and sectarianism\n", "strict"))
    code, out, err = run(seed_app, capsys, "quote", "-")
    assert code == 0 and json.loads(out)["query"] == "sects and sectarianism"
    assert err == "quotebot: line 1 is not UTF-8; read as Latin-1\n"


def test_quote_prints_readable_cards_by_default(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(seed_app, capsys, "quote", "giving credit where credit is due", "-k", "1")
    assert code == 0
    assert "Author: Maoist Internationalist Movement (MIM)" in out
    assert "**" in out  # the best sentence is marked


def test_json_carries_the_weak_closest_passages_that_text_shows(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    # With nothing above the relevance floor, text showed the closest passages marked weak
    # and --json left them out: a script saw less than a person.
    query = "quantum chromodynamics of gluon plasma"  # nothing in the corpus is about physics
    _, text, _ = run(seed_app, capsys, "quote", query)
    code, out, _ = run(seed_app, capsys, "quote", query, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["results"] == []  # still no result a script may count on
    assert answer["notice"].startswith("No good match")
    weak = answer["weak"]
    assert weak and all(w["label"] == "weak match" for w in weak)
    assert text.count("\n• ") == len(weak)
    shown = " ".join(text.split())
    assert all(" ".join(w["text"].split())[:60] in shown for w in weak)


def test_source_lists_the_works(seed_app: App, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(seed_app, capsys, "source", "--json")
    works = json.loads(out)
    assert code == 0
    assert {w["author"] for w in works} == {"Hal Draper", "Maoist Internationalist Movement (MIM)"}
    code, out, _ = run(seed_app, capsys, "source", "micro-sect")
    assert "Anatomy of the Micro-Sect" in out and "Introduction" in out
    # A blank name is no name: the list, not every work's details.
    listed = run(seed_app, capsys, "source")[1]
    assert run(seed_app, capsys, "source", "   ")[1] == listed


@pytest.mark.parametrize(
    "argv",
    [
        ["quote", "what is a sect", "-k", "500"],  # beyond max_results, as -k 0 is below 1
        ["compare", "what is a sect", "--work", "Anatomy of the Micro-Sect"],  # one work
        ["explain", "not a reference"],
    ],
)
def test_an_option_value_no_run_could_accept_exits_2_with_one_line(
    seed_app: App, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(seed_app, capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("quotebot: ") and err.count("\n") == 1


def test_a_blank_term_is_no_term_as_an_empty_one(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was exit 1 with a search's message ("Type a word, a phrase or a question").
    assert run(seed_app, capsys, "define", "   ") == run(seed_app, capsys, "define", "")
    code, _, err = run(seed_app, capsys, "define", "   ")
    assert code == 2 and err.startswith("quotebot define: give a TERM")
    # A term beside --complete was quietly left unanswered.
    code, out, err = run(seed_app, capsys, "define", "sect", "--complete", "sec")
    assert (code, out) == (2, "") and "not both" in err


def test_a_failed_query_is_one_line_and_exit_1(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(seed_app, capsys, "quote", "   ")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["quote"],
        ["quote", "x", "-k", "zero"],
        ["quote", "x", "-k", "0"],
        ["frobnicate"],
        [],
        ["source", "--collection", "²"],
        ["source", "--collection", str(2**64)],  # beyond any Discord ID
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.strip().count("\n") == 0 and err.startswith("quotebot")


def test_a_usage_error_with_json_asked_is_json_on_stdout_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # -k 11 (beyond max_results) gave {"error": ...}; -k 0, refused by the parser, gave none.
    with pytest.raises(SystemExit) as exc:
        main(["quote", "x", "-k", "0", "--json"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2
    assert json.loads(out) == {"error": err.strip()} and "at least 1, got 0" in err


def test_an_option_error_says_what_is_expected_not_a_functions_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "²" is a digit to str.isdigit, and int() refused it: "invalid _server_id value".
    with pytest.raises(SystemExit):
        main(["source", "--collection", "²"])
    assert "expected a server (guild) ID, a positive whole number" in capsys.readouterr().err


def test_a_path_the_system_refuses_is_one_line_naming_it_not_an_internal_error(
    seed_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    code = main(
        ["quote", "sect", "--corpus", str(seed_app.settings.corpus), "--index", str(a_file)]
    )
    err = capsys.readouterr().err
    assert code == 1 and err == f"quotebot: {a_file / 'CURRENT'}: Not a directory.\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "not a reference", "--json"],
        ["compare", "", "--json"],
        ["source", "no such work anywhere", "--json"],
    ],
)
def test_with_json_an_error_is_json_too(
    seed_app: App, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # A script reading --json got nothing on stdout and a sentence on stderr.
    code, out, err = run(seed_app, capsys, *argv)
    assert code in (1, 2) and err.startswith("quotebot: ")
    assert json.loads(out) == {"error": err.removeprefix("quotebot: ").strip()}


def test_help_answers_without_importing_torch() -> None:
    code = (
        "import sys; from bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "reindex" in result.stdout and "quote" in result.stdout


def test_explain_and_compare_print_json_with_the_scores(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(seed_app, capsys, "quote", "the sect-socialist", "-k", "1", "--json")
    ref = json.loads(out)["results"][0]["ref"]
    code, out, _ = run(seed_app, capsys, "explain", ref, "--json")
    explained = json.loads(out)
    assert code == 0 and explained["ref"] == ref
    assert {"where", "footnotes", "cited_by", "terms", "compare"} <= set(explained)
    code, out, _ = run(seed_app, capsys, "compare", "what is a sect?", "--by", "author", "--json")
    compared = json.loads(out)
    assert code == 0 and compared["by"] == "author"
    assert all(r["result"]["score"] > 0 for r in compared["results"])


def test_compare_with_one_work_is_refused_in_one_line(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(seed_app, capsys, "compare", "sect", "--work", "Anatomy")
    assert code == 2 and err.count("\n") == 1 and "at least two works" in err  # usage


def test_a_reindex_into_a_folder_holding_other_data_deletes_none_of_it(
    seed_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An index folder that is someone else's (`--index "$UNSET"` is the current folder):
    # the prune after the build removed every folder of builds/ but the last two by name.
    index = tmp_path / "project"
    for release in ("release-1", "release-2", "release-3"):
        (index / "builds" / release).mkdir(parents=True)
        (index / "builds" / release / "app.bin").write_text(release)
    code = main(["reindex", "--corpus", str(seed_app.settings.corpus), "--index", str(index)])
    capsys.readouterr()
    assert code in (0, 1)
    for release in ("release-1", "release-2", "release-3"):
        assert (index / "builds" / release / "app.bin").read_text() == release


def test_a_closed_stdin_is_one_line_not_an_internal_error(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `quotebot quote - <&-` (a cron job, a daemon): Python sets sys.stdin to None.
    monkeypatch.setattr(sys, "stdin", None)
    code, out, err = run(seed_app, capsys, "quote", "-", "--json")
    assert code in (1, 2) and err.startswith("quotebot") and err.count("\n") == 1
    assert "internal error" not in err and "internal error" not in out


def test_a_define_usage_error_with_json_asked_is_json_on_stdout_too(
    seed_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    # quote's usage errors give {"error": ...} on stdout; define's gave nothing there.
    code, out, err = run(seed_app, capsys, "define", "--json")
    assert code == 2 and err.startswith("quotebot define: give a TERM")
    assert json.loads(out) == {"error": err.strip()}


def test_stdout_that_cannot_be_written_with_json_is_one_line_not_a_traceback(
    seed_app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `quotebot quote ... --json > out.json` on a full disk: the error's own JSON line
    # failed to print too, and a traceback came out of main.
    import errno

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    code, _, err = run(seed_app, capsys, "quote", "what is a sect", "--json")
    assert code == 1 and err == "quotebot: No space left on device.\n"
