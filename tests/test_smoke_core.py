from conftest import chat, write_jsonl


def test_cli_reads_a_file_and_reports_its_format(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", [chat("hi", "hello"), chat("a", "b")])
    res = run_cli("check", str(path), "--fast")
    assert res.code in (0, 1), res.err
    assert "as chat" in res.out
