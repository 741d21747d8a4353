"""Output folders (`figures --out`, `sweep --out`): every unusable path is one line naming --out (issue 24)."""

from pathlib import Path

import pytest
from model_collapse import cli
from model_collapse.paths import check_out_dir
from model_collapse.validation import InvalidParameterError


def _bad(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing" / "target")
    return {"": "Got ''", str(tmp_path / "file" / "sub"): "is a file", str(tmp_path / "dangling"): "symbolic link",
            str(tmp_path / "dangling" / "x"): "symbolic link", "/proc/collapse-out/x": "can be created"}


def test_unusable_folders_are_refused_and_nothing_is_left(tmp_path):
    for text, words in _bad(tmp_path).items():
        with pytest.raises(InvalidParameterError, match="'--out'") as err:
            check_out_dir(text)
        assert words in str(err.value), (text, str(err.value))
    fresh = tmp_path / "new" / "deeper"
    assert check_out_dir(str(fresh)) == fresh and not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file"]  # the probe folder is gone


@pytest.mark.parametrize("command", ["figures", "sweep"])
def test_the_commands_refuse_them_in_one_line(tmp_path, command):
    spec = tmp_path / "s.toml"
    spec.write_text('family = "gaussian"\nmode = "predict"\n[fixed]\nd = 1\nt = 2\nworkflow = "replace"\n'
                    "[grid]\nn = [5, 6]\n")
    for text, words in _bad(tmp_path).items():
        argv = ["figures", "--only", "strong_collapse", "--quick", "--out", text] if command == "figures" else \
            ["sweep", str(spec), "--out", text]
        out = cli.run(argv)
        assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1, (text, out.stderr)
        assert "'--out'" in out.stderr and words in out.stderr, (text, out.stderr)
