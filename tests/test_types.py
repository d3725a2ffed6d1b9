"""The choice sets: one constant each, read by argparse and by `check_choice`, and every public entry
point refusing a value outside its set with the one message `check_choice` words."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

import pytest

from boilerbench import cli
from boilerbench.benchmark import render, train
from boilerbench.benchmark.evaluate import resolve
from boilerbench.benchmark.systems import available
from boilerbench.core.segment import segment
from boilerbench.core.types import (
    CATEGORY_GROUP_NAMES,
    CATEGORY_MODEL_FORMATS,
    CLEAN_OUTPUTS,
    EXTRACT_OUTPUTS,
    PAGE_FORMAT_CHOICES,
    PAGE_FORMATS,
    PAGE_SPLITS,
    PAGE_TYPES,
    SPLITS,
    TRAIN_ONLY,
    check_choice,
    check_keep,
)
from boilerbench.extractor import classifier, clean, extract


def message(name: str, value: object, choices: tuple[str, ...]) -> str:
    return f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}"


def test_check_choice() -> None:
    assert check_choice("page_format", "html", PAGE_FORMATS) == "html"
    with pytest.raises(ValueError) as info:
        check_choice("page_format", "pdf", PAGE_FORMATS)
    assert str(info.value) == "page_format must be one of 'html', 'text'; got 'pdf'"
    with pytest.raises(ValueError, match=re.escape("got None")):
        check_choice("split", None, SPLITS)


def _extractor(page_format: str = "auto", keep: tuple[str, ...] = ()) -> Any:
    datatrove = pytest.importorskip("boilerbench.integrations.datatrove")  # an optional extra
    return datatrove.BoilerbenchExtractor(page_format=page_format, keep=keep)


# entry point → (its call on the bundled corpus, the parameter's name, the bad value, the choice set)
ENTRY_POINTS: dict[str, tuple[Callable[[Any], Any], str, str, tuple[str, ...]]] = {
    "segment.segment": (lambda c: segment(b"<p>x</p>", "pdf"), "page_format", "pdf", PAGE_FORMATS),
    "classifier.load_model": (lambda c: classifier.load_model("pdf"), "page_format", "pdf", PAGE_FORMATS),
    "train.train": (lambda c: train.train(c, page_formats=["html", "pdf"]), "page_format", "pdf", PAGE_FORMATS),
    "train.train parts": (lambda c: train.train(c, parts=["classifier", "tree"]), "part", "tree", TRAIN_ONLY),
    "classifier.load_category_model": (
        lambda c: classifier.load_category_model("text"),
        "page_format",
        "text",
        CATEGORY_MODEL_FORMATS,
    ),
    "extract.classify": (lambda c: extract.classify("<p>x</p>", "pdf"), "page_format", "pdf", PAGE_FORMAT_CHOICES),
    "extract.extract": (lambda c: extract.extract("<p>x</p>", page_format="pdf"), "page_format", "pdf", PAGE_FORMAT_CHOICES),
    "extract.extract output": (lambda c: extract.extract("<p>x</p>", output="xml"), "output", "xml", EXTRACT_OUTPUTS),  # type: ignore[call-overload]
    "extract.extract keep": (
        lambda c: extract.extract("<p>x</p>", keep=("comments", "sidebar")),
        "keep",
        "sidebar",
        CATEGORY_GROUP_NAMES,
    ),
    "extract.extract keep one": (lambda c: extract.extract("", keep="comment"), "keep", "comment", CATEGORY_GROUP_NAMES),
    "clean.clean_bytes": (lambda c: clean.clean_bytes(b"<p>x</p>", "auto", "xml"), "output", "xml", CLEAN_OUTPUTS),
    "clean.clean_bytes keep": (lambda c: clean.clean_bytes(b"<p>x</p>", keep=("ads",)), "keep", "ads", CATEGORY_GROUP_NAMES),
    "BoilerbenchExtractor": (lambda c: _extractor("pdf"), "page_format", "pdf", PAGE_FORMAT_CHOICES),
    "BoilerbenchExtractor keep": (lambda c: _extractor(keep=("Comments",)), "keep", "Comments", CATEGORY_GROUP_NAMES),
    "evaluate.resolve": (lambda c: resolve("trafilatura,bogus"), "system", "bogus", tuple(available())),
    "Corpus.select": (lambda c: c.select(split="tset"), "split", "tset", PAGE_SPLITS),
    "render.render_text": (lambda c: render.render_text("<p>x</p>", "blocks"), "renderer", "blocks", render.RENDERERS[1:]),
    "render.rendered": (lambda c: render.rendered(c, [], renderers=["pdf"]), "renderer", "pdf", render.RENDERERS),
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_entry_points_refuse_a_bad_value_in_one_wording(corpus, entry_point: str) -> None:
    call, name, value, choices = ENTRY_POINTS[entry_point]
    with pytest.raises(ValueError) as info:
        call(corpus)
    assert str(info.value) == message(name, value, choices)


def test_cli_train_refuses_a_bad_mode_in_the_same_wording(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["train", "--page-formats", "html,pdf"]) == 2
    assert capsys.readouterr().err.strip() == f"boilerbench: error: {message('page_format', 'pdf', PAGE_FORMATS)}"


def test_cli_clean_refuses_a_bad_keep_group_in_the_same_wording(capsys: pytest.CaptureFixture[str], jefftk) -> None:
    """`clean --keep` takes comma-separated groups of the one constant; a name outside it stops
    `clean` before any page is read (the file named does not exist), worded as everywhere else."""
    assert cli.main(["clean", "--keep", "comments, related", "no-such-page.html"]) == 2
    assert capsys.readouterr().err.strip() == f"boilerbench: error: {message('keep', 'related', CATEGORY_GROUP_NAMES)}"
    assert check_keep("comments") == check_keep(["comments"]) == ("comments",) and check_keep(()) == ()
    assert check_keep(list(CATEGORY_GROUP_NAMES)) == CATEGORY_GROUP_NAMES


def _choices(parser: argparse.ArgumentParser) -> dict[tuple[str, str], Any]:
    """(command, option) → the `choices` argparse was given, over every subcommand."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        (command, action.option_strings[-1]): action.choices
        for command, p in sub.choices.items()
        for action in p._actions
        if action.choices is not None
    }


def test_argparse_reads_the_constants() -> None:
    """Every option with choices is given the constant itself, never a copy of it."""
    got = _choices(cli.build_parser())
    want = {
        ("validate", "--split"): PAGE_SPLITS,
        ("evaluate", "--split"): SPLITS,
        ("clean", "--page-format"): PAGE_FORMAT_CHOICES,
        ("clean", "--format"): CLEAN_OUTPUTS,
        ("train", "--only"): TRAIN_ONLY,
        ("pages", "--split"): PAGE_SPLITS,
        ("pages", "--type"): PAGE_TYPES,
    }
    assert got.keys() == want.keys() and all(got[k] is want[k] for k in want)


@pytest.mark.parametrize(
    ("args", "choices"), [(["clean", "--page-format", "pdf"], PAGE_FORMAT_CHOICES), (["pages", "--split", "tset"], PAGE_SPLITS)]
)
def test_argparse_lists_the_same_choices(capsys: pytest.CaptureFixture[str], args: list[str], choices: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    assert ", ".join(repr(c) for c in choices) in capsys.readouterr().err
