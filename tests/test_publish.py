"""`publish`: the dry run lists the dataset folder and the model repo without token or network; a
missing token is a clear error before any network call; with a token the folder goes to the Hub
client (replaced here by a recorder: no network in tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from boilerbench.benchmark import CHECKOUT
from boilerbench.cli import main
from boilerbench.core.types import CATEGORY_GROUP_NAMES
from boilerbench.integrations import publish as publish_mod

pytest.importorskip("huggingface_hub")


@pytest.fixture()
def dataset_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ds"
    (folder / "blocks").mkdir(parents=True)
    (folder / "README.md").write_text("---\nconfigs: []\n---\n# card\n", encoding="utf-8")
    (folder / "blocks" / "test-00000-of-00001.parquet").write_bytes(b"PAR1" + b"\0" * 100)
    return folder


class RecordingApi:
    """Stands in for huggingface_hub.HfApi: records calls, never touches the network."""

    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def __init__(self, token=None):
        self.calls.append(("init", {"token": token}))

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw))


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch):
    import huggingface_hub

    RecordingApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    for name in publish_mod.TOKEN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return RecordingApi.calls


def test_dry_run_lists_the_folder(dataset_folder, no_network, capsys) -> None:
    assert main(["publish", "--repo-id", "me/boilerbench", "--folder", str(dataset_folder), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "README.md" in out and "blocks/test-00000-of-00001.parquet" in out
    assert "would upload 2 files" in out and "dataset repo me/boilerbench" in out
    assert no_network == []


def test_missing_token_is_a_clear_error(dataset_folder, no_network, capsys) -> None:
    assert main(["publish", "--repo-id", "me/boilerbench", "--folder", str(dataset_folder)]) == 2
    assert "set HF_TOKEN" in capsys.readouterr().err
    assert no_network == []


def test_upload_with_a_token(dataset_folder, no_network, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    assert main(["publish", "--repo-id", "me/boilerbench", "--folder", str(dataset_folder)]) == 0
    assert [c[0] for c in no_network] == ["init", "create_repo", "upload_folder"]
    assert no_network[0][1]["token"] == "hf_test_token"
    assert no_network[1][1] == {"repo_id": "me/boilerbench", "repo_type": "dataset", "exist_ok": True}
    upload = no_network[2][1]
    assert upload["repo_id"] == "me/boilerbench" and upload["repo_type"] == "dataset"
    assert Path(upload["folder_path"]) == dataset_folder
    assert "hf_test_token" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo-id", "no-slash", "--folder", "{folder}"], "expected ORG/NAME"),
        (["--repo-id", "me/x", "--folder", "{empty}"], "no README.md card"),
        (["--repo-id", "me/x"], "give --folder"),
    ],
)
def test_bad_arguments(args, message, dataset_folder, tmp_path, no_network, capsys) -> None:
    args = [a.format(folder=dataset_folder, empty=tmp_path) for a in args]
    assert main(["publish", *args, "--dry-run"]) == 2
    assert message in capsys.readouterr().err


def test_model_repo_has_a_skops_card_with_the_evaluation(tmp_path, no_network, monkeypatch) -> None:
    folder = publish_mod.model_folder(tmp_path / "model", results=CHECKOUT / "baselines")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "boilerbench-html-categories.json",
        "boilerbench-html-categories.skops",
        "boilerbench-html.json",
        "boilerbench-html.skops",
        "boilerbench-text.json",
        "boilerbench-text.skops",
    ]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "library_name: sklearn" in card
    assert "boilerbench block_f1" in card and "boilerbench-text block_f1" in card
    assert "TRUSTED_TYPES" in card and "boilerbench-html-categories.skops" in card and "load_category_model" in card
    assert f"({', '.join(CATEGORY_GROUP_NAMES)})" in card and 'keep=("comments",)' in card
    # no index has the package: the card says how to install it from the repository
    assert "pip install boilerbench" not in card and "pip install -e ." in card
    assert "[More Information Needed]" not in card  # skops' template sections are filled or left out
    assert "## Intended uses & limitations" in card and "## Training Procedure" in card
    listing = publish_mod.publish(folder, "me/boilerbench-classifier", repo_type="model", dry_run=True)
    assert [n for n, _ in listing] == names
    assert no_network == []
