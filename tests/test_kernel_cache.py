"""The disk cache of generated kernels for models other than the paper's (gmmsym.kernels.cache).

Most tests use a one-component model (generated in a fraction of a second) in their own cache
directory; the SymPy-free load and the provenance check use the issue's K = 3 model in the
session's cache (tests/conftest.py), so its kernels are generated once per session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from unittest import mock

import numpy as np
import pytest

from gmmsym.cli import main
from gmmsym.codegen import doprint
from gmmsym.errors import FileError, InputError
from gmmsym.kernels import cache
from gmmsym.kernels.loader import GENERATOR_VERSION, MAX_K, kernels_for, load, module_name, parse_header
from gmmsym.model.spec import PAPER, ModelSpec

SMALL = ModelSpec(1, 1, (1,), 1)
K3 = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
K3_STATE = (-0.5, 0.3, 1.1, -1.0, -0.2, 0.1, 0.6, 0.9, 2.5, 0.0, 0.4, 1.0)  # mu1..3, l1..r3, nu1..3


@pytest.fixture(autouse=True)
def _fresh_memory():
    cache.forget()
    yield
    cache.forget()


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


def _small_values(mod) -> tuple:
    return (mod.objective(0.3, -1.0, 0.5, -0.2), *mod.gradients(0.3, -1.0, 0.5, -0.2))


def test_cache_directory_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == (tmp_path / "mine", "GMMSYM_CACHE_DIR")
    monkeypatch.setenv(cache.CACHE_ENV, "")  # empty means not set, as for XDG_CACHE_HOME
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    directory, name = cache.cache_dir()
    assert directory == tmp_path / "xdg" / "gmmsym" and "GMMSYM_CACHE_DIR not set" in name
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec ignores relative paths
    assert cache.cache_dir()[0] == cache.Path.home() / ".cache" / "gmmsym"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir()[0] == cache.Path.home() / ".cache" / "gmmsym"


def test_miss_generates_a_file_with_header(tmp_cache):
    assert cache.inspect(SMALL, "numpy").status == "missing"
    mod = kernels_for(SMALL, "numpy")
    path = tmp_cache / f"{module_name(SMALL, 'numpy')}.py"
    assert mod.__file__ == str(path) and re.fullmatch(r"numpy_k1m1_[0-9a-f]{8}\.py", path.name)
    text = path.read_text()
    lines = text.split("\n", 4)
    body = doprint(SMALL, "numpy")
    assert lines[4] == body  # the generator's text, provenance header included, below the cache lines
    assert lines[1] == f"# cache-key: {cache.cache_key(SMALL, 'numpy')}"
    assert lines[2] == f"# generator-sources: {cache.generator_sources()}"
    assert lines[3] == f"# body-sha256: {cache.hashlib.sha256(body.encode()).hexdigest()}"
    head = parse_header(body)
    assert head["generator"] == GENERATOR_VERSION and head["spec"] == SMALL.describe()
    assert head["target"] == "numpy" and "source-sha256" in head
    assert cache.inspect(SMALL, "numpy").status == "valid"
    for a, b in zip(_small_values(mod), _small_values(load(body, spec=SMALL))):
        np.testing.assert_array_equal(a, b)
    assert kernels_for(SMALL, "numpy") is mod  # loaded once per process


def test_bound_on_k_and_m_is_checked_before_any_work(tmp_cache):
    big = ModelSpec(MAX_K + 1, 1, (1 / (MAX_K + 1),) * (MAX_K + 1), 1)
    for call in (lambda: kernels_for(big, "numpy"), lambda: doprint(big, "numpy")):
        with pytest.raises(InputError, match=rf"^model: K = {MAX_K + 1} is beyond .* K <= {MAX_K} ") as exc:
            call()
        assert "\n" not in str(exc.value)
    assert not tmp_cache.exists()


# --- hit without SymPy ----------------------------------------------------------------------

_HIT = textwrap.dedent(
    """
    import sys
    from gmmsym.kernels.loader import kernels_for
    from gmmsym.model.spec import ModelSpec
    spec = ModelSpec.parse({spec!r})
    state = {state!r}
    print(repr(float(kernels_for(spec, "numpy").objective(*state))))
    print(repr(float(kernels_for(spec, "mpmath").objective(*state))))
    print("sympy" in sys.modules)
    """
)


def _run_hit(spec: ModelSpec, state: tuple) -> list[str]:
    code = _HIT.format(spec=spec.text(), state=state)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_hit_is_loaded_without_sympy_in_a_new_process():
    """K = 3 kernels, warm in the session's cache: a new process calls them without SymPy."""
    want = [kernels_for(K3, t).objective(*K3_STATE) for t in ("numpy", "mpmath")]
    paths = [cache.cache_path(K3, t) for t in ("numpy", "mpmath")]
    before = [os.stat(p).st_mtime_ns for p in paths]
    got = _run_hit(K3, K3_STATE)  # inherits GMMSYM_CACHE_DIR from the environment
    assert got == [repr(float(want[0])), repr(float(want[1])), "False"]
    assert [os.stat(p).st_mtime_ns for p in paths] == before  # read, not rewritten
    assert abs(float(want[0]) - float(want[1])) < 1e-14


def test_the_sympy_probe_sees_a_miss(tmp_cache):
    """Control for the test above: with a cold cache the same probe reports SymPy imported."""
    assert _run_hit(SMALL, (0.3, -1.0, 0.5, -0.2))[-1] == "True"
    assert _run_hit(SMALL, (0.3, -1.0, 0.5, -0.2))[-1] == "False"  # now warm


# --- corrupt and stale files ----------------------------------------------------------------

_MARKER_CODE = "import pathlib\npathlib.Path({marker!r}).write_text('executed')\n"


def _corrupt_then_load(directory, how: str, marker=None):
    """Write a good entry, damage it (``how``), load; return ``(status before, module, text after)``."""
    path, good = cache.refresh(SMALL, "numpy")
    text = path.read_text()
    if how == "truncate":
        text = text[: len(text) // 2]
    elif how == "append":  # still valid Python, computes something else
        text += "\n\ndef objective(*args):\n    return 42.0\n"
    elif how == "execute":  # a body that would run code if it were executed
        text = text.split("\n", 4)
        text = "\n".join([*text[:4], _MARKER_CODE.format(marker=str(marker)) + text[4]])
    path.write_text(text)
    status = cache.inspect(SMALL, "numpy").status
    cache.forget()
    mod = kernels_for(SMALL, "numpy")
    return status, mod, path.read_text(), good


@pytest.mark.parametrize("how", ["truncate", "append"])
def test_corrupt_body_is_regenerated(tmp_cache, how):
    status, mod, after, good = _corrupt_then_load(tmp_cache, how)
    assert status == "corrupt"
    assert after == good and cache.inspect(SMALL, "numpy").status == "valid"
    assert float(mod.objective(0.3, -1.0, 0.5, -0.2)) != 42.0


def test_corrupt_file_is_never_executed(tmp_cache, tmp_path):
    marker = tmp_path / "marker"
    status, _, after, good = _corrupt_then_load(tmp_cache, "execute", marker)
    assert status == "corrupt" and after == good and not marker.exists()


def test_corruption_test_fails_without_the_checksum(tmp_cache, tmp_path):
    """Mutant: with the body checksum not checked, the edited file is trusted and executed."""
    with mock.patch.object(cache, "_checksum_ok", lambda fields, body: True):
        status, mod, after, good = _corrupt_then_load(tmp_cache, "append")
        assert status == "valid" and after != good and mod.objective() == 42.0
        marker = tmp_path / "marker"
        _corrupt_then_load(tmp_cache, "execute", marker)
        assert marker.read_text() == "executed"


def _rewrite_body(path, edit, *, version: str | None = None) -> None:
    """Replace the body by ``edit(body)`` with consistent cache lines (checksum, key of ``version``)."""
    body = path.read_text().split("\n", 4)[4]
    with mock.patch.object(cache, "GENERATOR_VERSION", version or GENERATOR_VERSION):
        path.write_text(cache.entry_text(edit(body), SMALL, "numpy"))


def test_stale_generator_version_is_regenerated(tmp_cache):
    path, good = cache.refresh(SMALL, "numpy")
    _rewrite_body(
        path, lambda b: b.replace(f"# generator: {GENERATOR_VERSION}\n", "# generator: 3\n"), version="3"
    )
    entry = cache.inspect(SMALL, "numpy")
    assert entry.status == "stale" and "generator '3' in the file" in entry.detail
    kernels_for(SMALL, "numpy")
    assert path.read_text() == good


def test_other_generator_sources_are_stale(tmp_cache):
    cache.refresh(SMALL, "numpy")
    with mock.patch.object(cache, "generator_sources", lambda: "0" * 64):
        entry = cache.inspect(SMALL, "numpy")
    assert entry.status == "stale" and "generator sources" in entry.detail


def test_edited_spec_line_is_regenerated(tmp_cache):
    path, good = cache.refresh(SMALL, "numpy")
    other = "# spec: K=1, M=1, w=(1), sigma=2\n"
    path.write_text(good.replace(f"# spec: {SMALL.describe()}\n", other))  # checksum now wrong
    assert cache.inspect(SMALL, "numpy").status == "corrupt"
    _rewrite_body(path, lambda b: b.replace(f"# spec: {SMALL.describe()}\n", other))  # checksum fixed
    entry = cache.inspect(SMALL, "numpy")
    assert entry.status == "stale" and "spec" in entry.detail
    kernels_for(SMALL, "numpy")
    assert path.read_text() == good


def test_cached_module_equals_what_the_generator_produces_now():
    """The provenance guarantee, on the issue's K = 3 model (session cache, generated if cold)."""
    for target in ("numpy", "mpmath"):
        kernels_for(K3, target)
        entry = cache.inspect(K3, target)
        assert entry.status == "valid" and entry.body == doprint(K3, target)


# --- unusable directory ---------------------------------------------------------------------


def _forbid_generation(monkeypatch):
    import gmmsym.codegen.generator as gen

    monkeypatch.setattr(gen, "doprint", mock.Mock(side_effect=AssertionError("generated before the check")))


@pytest.mark.parametrize("where", ["file", "file/below"])
def test_unusable_directory_is_one_line_file_error(tmp_path, monkeypatch, where):
    (tmp_path / "file").write_text("not a directory")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / where))
    _forbid_generation(monkeypatch)
    with pytest.raises(FileError, match=r"^GMMSYM_CACHE_DIR: .*file is not a directory") as exc:
        kernels_for(SMALL, "numpy")
    assert "\n" not in str(exc.value)


def test_unusable_default_directory_is_named(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.delenv(cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    _forbid_generation(monkeypatch)
    with pytest.raises(FileError, match=r"^kernel cache directory \(GMMSYM_CACHE_DIR not set\): "):
        kernels_for(SMALL, "numpy")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_directory_is_a_file_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv(cache.CACHE_ENV, str(locked))
    _forbid_generation(monkeypatch)
    with pytest.raises(FileError, match=r"^GMMSYM_CACHE_DIR: cannot write"):
        kernels_for(SMALL, "numpy")


def test_unwritable_directory_is_named_also_for_root(tmp_path, monkeypatch):
    """Root may write anywhere, so the failing probe is simulated: the message names the variable."""
    import gmmsym.io

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(
        gmmsym.io, "_make_temp", mock.Mock(side_effect=PermissionError(13, "Permission denied"))
    )
    _forbid_generation(monkeypatch)
    with pytest.raises(
        FileError, match=rf"^GMMSYM_CACHE_DIR: cannot write to {re.escape(str(tmp_path))} .*denied"
    ):
        kernels_for(SMALL, "numpy")


def test_a_directory_in_the_files_place_is_a_file_error(tmp_cache):
    cache.cache_path(SMALL, "numpy").mkdir(parents=True)
    assert cache.inspect(SMALL, "numpy").status == "corrupt"
    with pytest.raises(FileError, match=r"^GMMSYM_CACHE_DIR: cannot access .*numpy_k1m1_"):
        kernels_for(SMALL, "numpy")


def test_paper_never_uses_the_cache(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "file"))
    assert kernels_for(PAPER, "numpy").__name__ == "gmmsym.kernels._generated.numpy_k2m2"


# --- concurrency ----------------------------------------------------------------------------

_WRITER = "from gmmsym.kernels import cache\nfrom gmmsym.model.spec import ModelSpec\n" + (
    "for _ in range(10):\n    cache.refresh(ModelSpec(1, 1, (1,), 1), 'numpy')\n"
)
_READER = "from gmmsym.kernels import cache\nfrom gmmsym.model.spec import ModelSpec\n" + (
    "import sys\nseen = set()\nwhile not cache.Path(sys.argv[1]).exists():\n"
    "    seen.add(cache.inspect(ModelSpec(1, 1, (1,), 1), 'numpy').status)\n"
    "print(sorted(seen))\n"
)


def test_two_processes_generating_at_once_do_not_corrupt(tmp_cache, tmp_path):
    """Two writers regenerate the same file 10 times each while a reader inspects it: never partial."""
    done = tmp_path / "done"
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(done)], stdout=subprocess.PIPE, text=True)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER]) for _ in range(2)]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    done.write_text("")
    seen, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0 and "corrupt" not in seen
    assert cache.inspect(SMALL, "numpy").status == "valid"
    assert [p.name for p in tmp_cache.iterdir()] == [f"{module_name(SMALL, 'numpy')}.py"]  # no temporaries


# --- gmmsym codegen --model -----------------------------------------------------------------


def test_cli_codegen_model_writes_and_checks_the_cache(tmp_cache, capsys):
    spec = ["--model", SMALL.text()]
    assert main(["codegen", *spec, "--check"]) == 1
    out = capsys.readouterr().out
    assert f"folder: {tmp_cache} (kernel cache of {SMALL.text()}; GMMSYM_CACHE_DIR" in out
    assert out.count(": missing") == 2
    assert main(["codegen", *spec]) == 0
    out = capsys.readouterr().out
    for target in ("numpy", "mpmath"):
        assert f"wrote {tmp_cache / (module_name(SMALL, target) + '.py')}" in out
    assert main(["codegen", *spec, "--check"]) == 0
    assert capsys.readouterr().out.count(": identical") == 2
    path = cache.cache_path(SMALL, "mpmath")
    path.write_text(path.read_text() + "# edited\n")
    assert main(["codegen", *spec, "--check"]) == 1
    assert f"read  {path}: corrupt (body checksum mismatch" in capsys.readouterr().out
    _rewrite_body(cache.cache_path(SMALL, "numpy"), lambda b: b.replace("# generator: ", "# generator: 9"))
    assert main(["codegen", *spec, "--check"]) == 1
    assert ": stale (generator '9" in capsys.readouterr().out
    assert main(["codegen", *spec]) == 0 and main(["codegen", *spec, "--check"]) == 0


def test_cli_codegen_model_errors_and_out(tmp_path, monkeypatch, capsys):
    assert main(["codegen", "--model", "paper", "--check"]) == 0  # the checked-in files, as before
    assert "gmmsym/kernels/_generated/numpy_k2m2.py: identical" in capsys.readouterr().out
    assert main(["codegen", "--model", f"K={MAX_K + 1},M=1", "--check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--model: K = {MAX_K + 1} is beyond" in err
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "file"))
    assert main(["codegen", "--model", SMALL.text()]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: GMMSYM_CACHE_DIR: " in err
    out = tmp_path / "out"  # --out: plain modules there, not the cache
    assert main(["codegen", "--model", SMALL.text(), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{module_name(SMALL, t)}.py" for t in ("numpy", "mpmath")
    )
    assert main(["codegen", "--model", SMALL.text(), "--out", str(out), "--check"]) == 0
