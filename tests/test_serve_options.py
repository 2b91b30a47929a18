"""``legrules serve``'s options: an invalid --host, --port or --workers is exit 2 with one
line naming the option and what is allowed; a port the machine cannot give is exit 1
(the environment, not the input: CONTRACT section 4). Never a traceback, never a server."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner, Result

pytest.importorskip("uvicorn", reason="the serve extra is not installed")

from legrules.cli import cli


def _serve(*args: str) -> Result:
    return CliRunner().invoke(cli, ["serve", *args])


def _error_line(result: Result) -> str:
    """click's usage error: the one ``Error:`` line (after the usage and --help lines)."""
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# digits and dots or a colon are parsed as an address, never asked of DNS; a part over 63
# characters is refused by the IDNA codec: none of these needs a network
@pytest.mark.parametrize(
    "host", ["999.1.1.1", "localhost:8080", "[::1]", pytest.param("a" * 300, id="a*300")]
)
def test_an_invalid_host_is_exit_2_naming_the_option_and_what_is_allowed(host: str) -> None:
    result = _serve("--host", host, "--port", "0")
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith("Error: Invalid value for '--host': \"")
    assert "is not an IP address or a host name that resolves" in line
    assert "127.0.0.1: this machine only; 0.0.0.0 or ::, every interface" in line


def test_a_host_name_that_does_not_resolve_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def no_such_name(host: str, *args: object, **kwargs: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    result = _serve("--host", "no-such-host.invalid", "--port", "0")
    assert result.exit_code == 2
    assert '"no-such-host.invalid" is not an IP address or a host name' in _error_line(result)
    assert asked == ["no-such-host.invalid"]  # refused before the pack loads or a port is taken


def test_a_resolver_that_cannot_answer_now_is_the_environment_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def resolver_down(host: str, *args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", resolver_down)
    result = _serve("--host", "api.example", "--port", "0")
    assert result.exit_code == 1
    assert result.stderr == (
        "legrules: cannot listen on api.example:0: Temporary failure in name resolution\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--port", "65536", "0<=x<=65535"),
        ("--port", "-1", "0<=x<=65535"),
        ("--port", "http", "'http' is not a valid integer"),
        ("--workers", "0", "x>=1"),
    ],
)
def test_a_port_or_worker_count_out_of_range_is_exit_2(
    option: str, value: str, allowed: str
) -> None:
    result = _serve(option, value)
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith(f"Error: Invalid value for '{option}': ")
    assert allowed in line


def test_a_port_in_use_is_exit_1_saying_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve("--host", "127.0.0.1", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr == (
        f"legrules: cannot listen on 127.0.0.1:{port}: Address already in use (another "
        "program listens there: stop it, or choose another --port (0 takes any free one))\n"
    )
