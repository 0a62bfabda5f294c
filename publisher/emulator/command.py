"""``publisher emulator``: run the local Plain help-center emulator."""

from __future__ import annotations

import click

from publisher.emulator.faults import FaultConfig, FaultKind, describe, parse_kinds

# The default key is repeated here rather than imported, so that loading the CLI does not
# load the server stack; tests check that the two agree.
DEFAULT_API_KEY = "plainApiKey_local_emulator"


def _kinds(_: click.Context, __: click.Parameter, value: str | None) -> frozenset[FaultKind]:
    if value is None:
        return frozenset(FaultKind)
    try:
        kinds = parse_kinds(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if not kinds:
        raise click.BadParameter("name at least one fault kind")
    return kinds


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file that keeps state across restarts (default: in memory).",
)
@click.option(
    "--help-center",
    "help_centers",
    multiple=True,
    metavar="NAME",
    help="Help center to create if absent (repeatable).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help=f"API key to accept (repeatable; default {DEFAULT_API_KEY}).",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=0,
    help="Delay every GraphQL request by this many milliseconds.",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    help="Share of GraphQL requests that fail (0 to 1).",
)
@click.option(
    "--fault-kinds",
    callback=_kinds,
    default=None,
    metavar="LIST",
    help=f"Comma list of faults to inject (default all: {describe(FaultKind)}).",
)
@click.option("--seed", type=int, default=None, help="Seed for reproducible faults.")
@click.option(
    "--retry-after",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Seconds in the Retry-After header of injected 429s.",
)
def emulator(
    host: str,
    port: int,
    db: str | None,
    help_centers: tuple[str, ...],
    api_keys: tuple[str, ...],
    latency_ms: int,
    fail_rate: float,
    fault_kinds: frozenset[FaultKind],
    seed: int | None,
    retry_after: int,
) -> None:
    """Run a local Plain help-center API (GraphQL, uploads, a read-only web view)."""
    from publisher import serving as server
    from publisher.emulator.app import create_app
    from publisher.emulator.graphql_endpoint import GRAPHQL_PATH

    faults = FaultConfig(
        fail_rate=fail_rate,
        kinds=fault_kinds,
        seed=seed,
        latency_ms=latency_ms,
        retry_after_seconds=retry_after,
    )
    keys = api_keys or (DEFAULT_API_KEY,)
    try:
        sock = server.bind(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    app = create_app(db, api_keys=keys, help_centers=help_centers, faults=faults)
    base = server.base_url(sock)

    def announce() -> None:
        # One fact per line, "label: value", for people and for scripts alike.
        print(f"emulator: {base}{GRAPHQL_PATH}", flush=True)
        print(f"web view: {base}/", flush=True)
        for key in keys:
            print(f"api key: {key}", flush=True)
        for hc in app.emulator.store.help_centers():
            print(f"help center {hc.public_name}: {hc.id}", flush=True)
        if fail_rate or latency_ms:
            print(
                f"faults: rate {fail_rate} kinds {describe(fault_kinds)} latency {latency_ms}ms",
                flush=True,
            )
        # Last, so a script knows it has read every line above.
        print("ready: press Ctrl+C to stop", flush=True)

    server.serve(app, sock, announce)
