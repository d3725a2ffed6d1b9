"""`publish`: upload the dataset folder (from `build-dataset`) or the classifier to the Hugging Face Hub.

The token comes from `HF_TOKEN` (the variable huggingface_hub reads); `--dry-run` lists what would be
uploaded and needs neither a token nor the network. The classifier is published as a model repo:
the two skops files, their JSON records, and a skops model card holding the evaluation from
`baselines/`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..benchmark.leaderboard import baselines_dir
from ..core.types import CATEGORY_GROUP_NAMES
from ..extractor.classifier import MODEL_DIR, TRUSTED_TYPES

_REPO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def files(folder: Path) -> list[tuple[str, int]]:
    """(path in the repo, bytes) of every file that would be uploaded, sorted."""
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts
    )


def token() -> str:
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value
    raise ValueError(
        f"no Hugging Face token: set {TOKEN_VARIABLES[0]} (a write token from https://huggingface.co/settings/tokens)"
    )


def model_folder(out: Path, results: Path | None = None) -> Path:
    """The classifier as a model repo folder: skops files, their records, and a skops model card."""
    from skops import card as skops_card  # ~2 s: only the model repo needs it, not a dataset's upload

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(MODEL_DIR.glob("boilerbench-*.*")):
        shutil.copyfile(path, out / path.name)
    html = out / "boilerbench-html.skops"
    if not html.is_file():
        raise FileNotFoundError(f"{MODEL_DIR}: no trained model; run `python -m boilerbench train`")
    card = skops_card.Card(html, trusted=list(TRUSTED_TYPES))
    folder = results or baselines_dir()
    metrics: dict[str, Any] = {}
    for system in ("boilerbench", "boilerbench-text"):
        path = folder / f"{system}.json"
        if path.is_file():
            m = json.loads(path.read_text(encoding="utf-8"))["metrics"]
            for k in ("block_f1", "block_precision", "block_recall", "word_f1"):
                if m.get(k) is not None:
                    metrics[f"{system} {k}"] = m[k]
            for corpus, s in sorted(m.get("by_corpus", {}).items()):
                metrics[f"{system} block_f1 {corpus}"] = s["block_f1"]
    card.add_metrics(
        description="Test split of the boilerbench dataset (WCXB test, Scrapinghub, trafilatura-eval's test part); "
        "block F1 of the content class per page, averaged over pages. Reproduce: `python -m boilerbench evaluate`.",
        **metrics,
    )
    card.add(
        **{
            "Model description": "A block classifier for web-boilerplate removal: pages are segmented into blocks "
            "(`boilerbench.core.segment`), each block is described by language-agnostic features (`boilerbench.extractor.features`) "
            "and gradient boosting decides content or boilerplate, told the page's predicted type by a page-type model "
            "(a second stage reads the neighbours' scores where validation says it pays: on every page, or only on the "
            "pages predicted articles). `boilerbench-text.skops` works on "
            "plain-text pages (one block per line), trained on pages rendered by several HTML-to-text tools. "
            "`boilerbench-html-categories.skops` says what each block of an HTML page is, from the same features: its "
            f'category group ({", ".join(CATEGORY_GROUP_NAMES)}), which `extract(..., keep=("comments",))` reads to '
            "keep a group the classifier drops.",
            "Model description/Intended uses & limitations": "Removing boilerplate (navigation, footers, related "
            "links, ads, share bars, cookie banners…) from web pages before indexing or training, page by page or over "
            "a crawl (WARC/WET files, or a step in a datatrove pipeline). It decides blocks, it does not rewrite them: "
            "text the segmenter does not make a block is never recovered. It was trained and chosen on the benchmark's "
            "train and validation pages (WCXB and the trafilatura evaluation set: mostly English, then German; articles more than any "
            "other page type); the tables of the evaluation below say how it does per corpus, and the "
            "leaderboard per page type and language. The text model sees only a text dump and does less well than the "
            "HTML one.",
            "Model description/Training Procedure": "`python -m boilerbench train` in the repository, on the train "
            "split (every WCXB block, and the trafilatura evaluation pages' blocks their snippets decide; the text "
            "model on each train page rendered by four HTML-to-text tools). The first stage is fixed; the second stage "
            "and the decision thresholds are chosen on the validation split, a costlier choice only where it loses on "
            "no validation group. Each model's JSON record (beside its skops file) holds the parameters, every trial "
            "and its validation scores.",
            "How to Get Started with the Model": "The model files load only with the boilerbench package (its "
            "featurizer is a boilerbench class), which no package index has: install it from the boilerbench "
            "repository, in a checkout of it, with `pip install -e .`, then `python -m boilerbench clean page.html`. "
            "Load with `boilerbench.extractor.classifier.load_model` (the category model: `load_category_model`), which "
            "trusts only the types listed in "
            "`boilerbench.extractor.classifier.TRUSTED_TYPES` (never pickle).",
        }
    )
    # the template's sections this project has nothing to say in ("[More Information Needed]")
    for section in ("Model Card Authors", "Model Card Contact", "Citation"):
        card.delete(section)
    card.save(out / "README.md")
    # the Hub reads the YAML header; this skops version writes none of its own
    body = (out / "README.md").read_text(encoding="utf-8")
    (out / "README.md").write_text(_MODEL_CARD_HEADER + body, encoding="utf-8")
    return out


_MODEL_CARD_HEADER = """---
library_name: sklearn
license: apache-2.0
tags:
- skops
- tabular-classification
- boilerplate-removal
- web
- html
---
"""


def publish(folder: Path, repo_id: str, repo_type: str = "dataset", dry_run: bool = False) -> list[tuple[str, int]]:
    """Upload `folder` to `repo_id` (created if missing); returns the files. Dry run: only list them."""
    if not _REPO_ID_RE.match(repo_id):
        raise ValueError(f"--repo-id {repo_id!r}: expected ORG/NAME")
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(
            f"{folder}: no README.md card; build it first (`python -m boilerbench build-dataset --out {folder}`)"
        )
    listing = files(folder)
    if dry_run:
        return listing
    secret = token()
    from huggingface_hub import HfApi  # the `hf` extra: a dry run does without it

    api = HfApi(token=secret)
    api.create_repo(repo_id, repo_type=repo_type, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type=repo_type, commit_message="boilerbench publish")
    return listing
