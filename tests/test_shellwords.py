import pytest

from vllm_lint.sources import shellwords


def words(text, **kw):
    return [[w.value for w in c] for c in shellwords.split(text, **kw)]


def test_quotes_and_escapes():
    assert words("""--a '{"x": 1}' --b "two words" --c \\"q\\" --d=e""") == [
        ["--a", '{"x": 1}', "--b", "two words", "--c", '"q"', "--d=e"]]


def test_offsets_cover_the_source_text():
    text = "  --port   8000 '--x y'"
    ws = shellwords.split(text)[0]
    assert [(text[w.start:w.end]) for w in ws] == ["--port", "8000", "'--x y'"]


def test_newlines_are_spaces_without_script():
    assert words("--a 1\n--b 2\n\n--c") == [["--a", "1", "--b", "2", "--c"]]


def test_script_separators_comments_and_continuations():
    text = "#!/bin/sh\nset -e  # strict\nexport A=1 && vllm serve m \\\n  --port 1 > log.txt 2>&1 &\necho done"
    assert words(text, script=True) == [["set", "-e"], ["export", "A=1"], ["vllm", "serve", "m", "--port", "1"], ["echo", "done"]]


def test_unterminated_quote_raises_with_offset():
    with pytest.raises(shellwords.ShellSyntaxError) as e:
        shellwords.split("--a 'open")
    assert e.value.offset == 4
