"""One input-error type (gmmsym.errors.InputError); the CLI treats only it as a usage error."""

from __future__ import annotations

import pytest

import gmmsym
from gmmsym.errors import InputError


def test_input_error_is_both_value_and_type_error():
    assert issubclass(InputError, ValueError) and issubclass(InputError, TypeError)


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: gmmsym.objective([0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 0.0]), "ell"),
        (lambda: gmmsym.objective("x", [0, 1, 2, 3], [0, 0]), "mu"),
        (lambda: gmmsym.simulate([0, 0], [[0, 1]], steps=-1, seed=0), "steps"),
        (lambda: gmmsym.simulate([0, 0], [[0, 1]], dynamics="nope", seed=0), "dynamics"),
        (lambda: gmmsym.ModelSpec(K=0), "K"),
        (lambda: gmmsym.mp.objective([0, "a"], [0, 1, 2, 3], [0, 0]), "mu"),
    ],
)
def test_validation_raises_input_error_naming_the_argument(call, names):
    with pytest.raises(InputError, match=names):
        call()


def test_cli_reports_input_errors_as_usage_errors(capsys):
    from gmmsym.cli import main

    assert main(["simulate", "--mu", "0", "0", "--steps", "-3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmmsym simulate: error:") and "steps" in err and len(err.splitlines()) == 1


def test_cli_does_not_swallow_a_bug(monkeypatch):
    """A TypeError that is not an InputError is a bug: it propagates (traceback), not exit 2."""
    import gmmsym.cli.simulate as cli_simulate

    def buggy(args):
        raise TypeError("'mpf' object is not subscriptable")

    monkeypatch.setattr(cli_simulate, "_run", buggy)
    from gmmsym.cli import main

    with pytest.raises(TypeError, match="subscriptable"):
        main(["simulate", "--mu", "0", "0"])


def test_verify_bad_only_is_a_usage_error(tmp_path, capsys):
    from gmmsym.cli import main

    assert main(["verify", "--quick", "--only", "C99", "--out", str(tmp_path)]) == 2
    assert "--only" in capsys.readouterr().err
