"""Odd and hostile files: each one ends in findings (exit 0/1) or one clear error line (exit 2), never a
traceback, a hang or a silently half-read file."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import chat, write_jsonl
from dslint.data import ENCODING, iter_jsonl, load_sources
from dslint.errors import InputError

FAST = ("--fast", "--select", "ALL")


def records(n: int = 3) -> list[dict]:
    return [chat(f"question number {i} about rivers", f"answer number {i}: rivers flow downhill") for i in range(n)]


def jsonl_bytes(values: list[dict]) -> bytes:
    return "".join(json.dumps(v) + "\n" for v in values).encode()


def assert_findings(res) -> None:
    """The run completed and reported (pass or gate failure), with no error line."""
    assert res.code in (0, 1), res.err
    assert "Traceback" not in res.err and "error:" not in res.err


def assert_refused(res, *words: str) -> None:
    """Exit 2 with exactly one readable `dslint: error:` line naming the problem."""
    assert res.code == 2, (res.out, res.err)
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dslint: error:"), res.err
    assert "internal error" not in res.err and "Traceback" not in res.err
    for word in words:
        assert word in lines[0], lines[0]


def test_file_without_trailing_newline_keeps_its_last_record(tmp_path, run_cli):
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl_bytes(records(3)).rstrip(b"\n"))
    res = run_cli("check", str(path), *FAST)
    assert_findings(res)
    assert "3 records of 3 rows" in res.out
    rows = list(iter_jsonl(path))
    assert [r.line for r in rows] == [1, 2, 3] and all(r.error_kind is None for r in rows)


def test_gzip_jsonl_is_read_like_the_plain_file(tmp_path, run_cli):
    plain = write_jsonl(tmp_path / "t.jsonl", records(4))
    packed = tmp_path / "t.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    res_plain = run_cli("check", str(plain), *FAST, "--output-format", "json")
    res_gz = run_cli("check", str(packed), *FAST, "--output-format", "json")
    assert res_gz.code == res_plain.code
    codes = lambda res: sorted((f["code"], f["line"]) for f in json.loads(res.out)["findings"])  # noqa: E731
    assert codes(res_gz) == codes(res_plain)
    assert json.loads(res_gz.out)["records"] == 4


def test_zstd_jsonl_is_read_when_zstandard_is_installed(tmp_path, run_cli):
    zstandard = pytest.importorskip("zstandard")
    path = tmp_path / "t.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(jsonl_bytes(records(5))))
    res = run_cli("check", str(path), *FAST)
    assert_findings(res)
    assert "5 records of 5 rows" in res.out


def test_zstd_without_zstandard_is_refused_with_how_to_install(tmp_path, run_cli, monkeypatch):
    path = tmp_path / "t.jsonl.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    monkeypatch.setitem(sys.modules, "zstandard", None)  # makes `import zstandard` raise ImportError
    res = run_cli("check", str(path), *FAST)
    assert_refused(res, "t.jsonl.zst", "pip install zstandard")


@pytest.mark.parametrize("damage", ["truncated", "not-gzip"])
def test_damaged_gzip_is_exit_2_not_a_half_read_file(tmp_path, run_cli, damage):
    # Large enough that the damage lies past the first 8 KiB the binary sniffing reads.
    data = gzip.compress(jsonl_bytes(records(3000)))
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"plain text, not gzip\n")
    res = run_cli("check", str(path), *FAST)
    assert_refused(res, "t.jsonl.gz", "damaged")


def test_damaged_zstd_is_exit_2(tmp_path, run_cli):
    pytest.importorskip("zstandard")
    path = tmp_path / "t.jsonl.zst"
    path.write_bytes(b"this is not a zstd frame\n")
    assert_refused(run_cli("check", str(path), *FAST), "t.jsonl.zst", "damaged")


def test_symlinks_are_followed_and_a_dangling_one_is_exit_2(tmp_path, run_cli):
    real = write_jsonl(tmp_path / "real.jsonl", records(2))
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    res = run_cli("check", str(link), *FAST)
    assert_findings(res)
    assert "2 records of 2 rows" in res.out
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "missing.jsonl")
    assert_refused(run_cli("check", str(dangling), *FAST), "dangling.jsonl", "no such file")


def test_symlink_loop_inside_a_folder_does_not_hang(tmp_path, run_cli):
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", records(2))
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "self.jsonl").symlink_to(folder / "self.jsonl")  # a link to itself
    res = run_cli("check", str(folder), *FAST)
    assert_findings(res)
    assert "2 records of 2 rows" in res.out


def test_read_only_input_folder_is_checked(tmp_path, run_cli):
    folder = tmp_path / "ro"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", records(3))
    folder.chmod(0o555)
    try:
        res = run_cli("check", str(folder), *FAST)
        assert_findings(res)
        assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl"]
    finally:
        folder.chmod(0o755)


def test_a_path_that_is_a_directory_reads_the_data_files_inside(tmp_path, run_cli):
    folder = tmp_path / "looks_like_a_file.jsonl"
    folder.mkdir()
    write_jsonl(folder / "part-0.jsonl", records(2))
    write_jsonl(folder / "part-1.jsonl", records(2))
    (folder / "notes.txt").write_text("not data")
    res = run_cli("check", str(folder), *FAST)
    assert_findings(res)
    assert "part-0.jsonl" in res.out and "part-1.jsonl" in res.out and "notes.txt" not in res.out
    empty = tmp_path / "empty.jsonl"
    empty.mkdir()
    assert_refused(run_cli("check", str(empty), *FAST), "holds no data files")


@pytest.mark.parametrize("content", [b"", b"\n\n\n", b"   \n\t\n", b"\xef\xbb\xbf"])
def test_empty_or_blank_file_is_reported_not_crashed(tmp_path, run_cli, content):
    path = tmp_path / "t.jsonl"
    path.write_bytes(content)
    res = run_cli("check", str(path), *FAST)
    assert_findings(res)
    assert "0 records" in res.out


@pytest.mark.parametrize("name", ["blob.jsonl", "blob.bin", "blob.csv", "blob.json"])
def test_binary_file_is_refused(tmp_path, run_cli, name):
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 8)
    assert_refused(run_cli("check", str(path), *FAST), name, "binary")


def test_ten_megabyte_line_is_read_and_checked(tmp_path, run_cli):
    big = "word " * (2 * 1024 * 1024)  # 10 MiB of text in one record
    path = write_jsonl(tmp_path / "t.jsonl", [*records(2), chat("summarise this", big)])
    assert path.stat().st_size > 10 * 1024 * 1024
    # Not V: its ~40 regexes cost ~13 s per MB of text (see the report of issue 10); the loader is what is tested.
    res = run_cli("check", str(path), "--fast", "--select", "F,S,D001", "--output-format", "json")
    assert res.code in (0, 1), res.err
    report = json.loads(res.out)
    assert report["records"] == 3
    # A report never carries the 10 MB text itself: excerpts and messages are cut.
    assert len(res.out) < 1024 * 1024


def test_invalid_utf8_is_reported_with_line_and_byte_offset(tmp_path, run_cli):
    path = tmp_path / "t.jsonl"
    good = jsonl_bytes(records(2))
    bad = b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'
    path.write_bytes(good + bad)
    offset = bad.index(b"\xe9")
    rows = list(iter_jsonl(path))
    assert rows[2].error_kind == ENCODING and rows[2].line == 3
    assert rows[2].error_offset == offset and f"byte {offset}" in rows[2].error
    res = run_cli("check", str(path), *FAST, "--output-format", "json")
    assert res.code in (0, 1), res.err
    flagged = [f for f in json.loads(res.out)["findings"] if f["line"] == 3]
    assert flagged and any(f"byte {offset}" in f["message"] for f in flagged)


def test_invalid_utf8_in_a_json_array_names_line_and_byte(tmp_path, run_cli):
    path = tmp_path / "t.json"
    path.write_bytes(b'[\n{"prompt": "a", "completion": "b"},\n{"prompt": "caf\xe9", "completion": "b"}\n]\n')
    assert_refused(run_cli("check", str(path), *FAST), "t.json:3", "invalid UTF-8 at byte")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_file_gets_a_clear_message(tmp_path, run_cli, encoding):
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl_bytes(records(2)).decode().encode(encoding))
    assert_refused(run_cli("check", str(path), *FAST), "UTF-16", "convert")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    # A subprocess with a timeout: an in-process hang would stall the whole suite.
    proc = subprocess.run([sys.executable, "-m", "dslint", "check", str(fifo), "--fast"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DSLINT_QUIET": "1"})
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr


def test_dev_null_is_refused(run_cli):
    assert_refused(run_cli("check", os.devnull, *FAST), "not a regular file")


def test_unreadable_file_is_exit_2(tmp_path, run_cli):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = write_jsonl(tmp_path / "t.jsonl", records(1))
    path.chmod(0)
    try:
        assert_refused(run_cli("check", str(path), *FAST), "permission denied")
    finally:
        path.chmod(0o644)


def test_loader_raises_only_input_error_for_unreadable_files(tmp_path):
    cases = {"bin.jsonl": bytes(range(256)), "u16.jsonl": "{}".encode("utf-16"), "bad.json": b"[1, 2"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=name):
            load_sources([tmp_path / name])


def test_mixed_line_endings_and_a_bom_keep_line_numbers(tmp_path):
    path = tmp_path / "t.jsonl"
    lines = [json.dumps(r).encode() for r in records(4)]
    path.write_bytes(b"\xef\xbb\xbf" + lines[0] + b"\r\n" + lines[1] + b"\n" + lines[2] + b"\r\n\r\n" + lines[3])
    (source,) = load_sources([path])
    assert [r.line for r in source.records] == [1, 2, 3, 5]
    assert set(source.info.notes) >= {"bom", "crlf", "no-final-newline"}


def test_a_file_name_that_is_not_utf8_is_read_and_reported(tmp_path, run_cli):
    name = os.fsdecode(b"caf\xe9-\xff.jsonl")  # bytes no UTF-8 decoder accepts: surrogate escapes in Python
    path = write_jsonl(tmp_path / name, records(2))
    res = run_cli("check", str(path), *FAST, "--output-format", "json")
    assert res.code in (0, 1), res.err
    assert json.loads(res.out)["records"] == 2
    assert_findings(run_cli("check", str(path), *FAST, "--output-format", "sarif"))
