"""``publisher emulator``: run the local Plain help-center emulator."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

import click

from publisher.emulator.faults import (
    DEFAULT_KINDS,
    DEFAULT_LONG_RETRY_AFTER,
    FaultConfig,
    FaultKind,
    describe,
    parse_kinds,
)
from publisher.emulator.permissions import (
    DEFAULT_PERMISSIONS,
    parse_key_permissions,
)
from publisher.emulator.permissions import (
    describe as describe_permissions,
)

# The default key is repeated here rather than imported, so that loading the CLI does not
# load the server stack; tests check that the two agree.
DEFAULT_API_KEY = "plainApiKey_local_emulator"


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# What --strict changes, unless the option is given explicitly.
STRICT_FAIL_RATE = 0.2
STRICT_LONG_RETRY_AFTER = 2


def _kinds(_: click.Context, __: click.Parameter, value: str | None) -> frozenset[FaultKind] | None:
    if value is None:
        return None
    try:
        kinds = parse_kinds(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if not kinds:
        raise click.BadParameter("name at least one fault kind")
    return kinds


def _key_permissions(
    _: click.Context, __: click.Parameter, values: tuple[str, ...]
) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for value in values:
        try:
            key, permissions = parse_key_permissions(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        if key in found:
            raise click.BadParameter(f"the permissions of {key} are given twice")
        found[key] = permissions
    return found


def _person_keys(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, _sep, name = value.partition("=")
        key, name = key.strip(), " ".join(name.split())
        if not key or not name:
            raise click.BadParameter(f"{value!r}: give KEY=Full Name, e.g. key_grace=Grace Hopper")
        if key in found:
            raise click.BadParameter(f"the person key {key} is given twice")
        found[key] = name
    return found


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
    "--person-key",
    "person_keys",
    multiple=True,
    callback=_person_keys,
    metavar="KEY=FULL NAME",
    help="A key that acts as a person editing in Plain's app (repeatable): what it changes is"
    " last updated by that user, as hand edits are.",
)
@click.option(
    "--key-permissions",
    "key_permissions",
    multiple=True,
    callback=_key_permissions,
    metavar="KEY=PERM,PERM",
    help="Give KEY only these permissions, e.g. plainApiKey_ro=helpCenter:read (repeatable;"
    " the key is accepted even without --api-key). Other keys have"
    f" {_listed(DEFAULT_PERMISSIONS)}.",
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
    default=None,
    help=f"Share of GraphQL requests that fail, 0 to 1 (default 0; {STRICT_FAIL_RATE} with"
    " --strict).",
)
@click.option(
    "--fault-kinds",
    callback=_kinds,
    default=None,
    metavar="LIST",
    help=f"Comma list of faults to inject: {_listed(FaultKind)}. Default: all but"
    " long_retry_after, left out because a client honouring it really waits"
    " --long-retry-after seconds; all with --strict.",
)
@click.option("--seed", type=int, default=None, help="Seed for reproducible faults.")
@click.option(
    "--retry-after",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Seconds in the Retry-After of injected rate_limit and graphql_rate_limit faults.",
)
@click.option(
    "--long-retry-after",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds in the Retry-After of injected long_retry_after faults (default"
    f" {DEFAULT_LONG_RETRY_AFTER}; {STRICT_LONG_RETRY_AFTER} with --strict).",
)
@click.option(
    "--download-urls",
    type=click.Choice(["opaque", "named"]),
    default="opaque",
    show_default=True,
    help="Download URLs like a CDN's, /cdn/<token> (opaque), or the older"
    " /files/<id>/<file name> (named).",
)
@click.option(
    "--extra-index-type",
    "extra_index_types",
    multiple=True,
    metavar="NAME",
    help="Test hook: add NAME to HelpCenterIndexItemType, stored and served like HEADING"
    " (a label in title), to try a client against a type Plain may add (repeatable).",
)
@click.option(
    "--extra-article-status",
    "extra_article_statuses",
    multiple=True,
    metavar="NAME",
    help="Test hook: add NAME to HelpCenterArticleStatus (repeatable).",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"Contract-run preset: --fail-rate {STRICT_FAIL_RATE}, every fault kind including"
    f" long_retry_after with --long-retry-after {STRICT_LONG_RETRY_AFTER}, opaque download"
    " URLs. Options given explicitly win.",
)
def emulator(
    host: str,
    port: int,
    db: str | None,
    help_centers: tuple[str, ...],
    api_keys: tuple[str, ...],
    person_keys: dict[str, str],
    key_permissions: dict[str, frozenset[str]],
    latency_ms: int,
    fail_rate: float | None,
    fault_kinds: frozenset[FaultKind] | None,
    seed: int | None,
    retry_after: int,
    long_retry_after: int | None,
    download_urls: str,
    extra_index_types: tuple[str, ...],
    extra_article_statuses: tuple[str, ...],
    strict: bool,
) -> None:
    """Run a local Plain help-center API (GraphQL, uploads, a read-only web view)."""
    from publisher import serving as server
    from publisher.emulator.app import create_app
    from publisher.emulator.files import DownloadUrls
    from publisher.emulator.graphql_endpoint import GRAPHQL_PATH

    # Explicit options win over the --strict preset, which wins over the plain defaults.
    rate = fail_rate if fail_rate is not None else STRICT_FAIL_RATE if strict else 0.0
    kinds = fault_kinds or (frozenset(FaultKind) if strict else DEFAULT_KINDS)
    long_wait = long_retry_after
    if long_wait is None:
        long_wait = STRICT_LONG_RETRY_AFTER if strict else DEFAULT_LONG_RETRY_AFTER
    faults = FaultConfig(
        fail_rate=rate,
        kinds=kinds,
        seed=seed,
        latency_ms=latency_ms,
        retry_after_seconds=retry_after,
        long_retry_after_seconds=long_wait,
    )
    keys = list(dict.fromkeys([*api_keys, *key_permissions])) or [DEFAULT_API_KEY]
    try:
        sock = server.bind(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    try:
        app = create_app(
            db,
            api_keys=keys,
            help_centers=help_centers,
            faults=faults,
            key_permissions=key_permissions,
            download_urls=DownloadUrls(download_urls),
            extra_index_types=extra_index_types,
            extra_article_statuses=extra_article_statuses,
            person_keys=person_keys,
        )
    except ValueError as error:
        sock.close()
        raise click.ClickException(str(error)) from None
    base = server.base_url(sock)
    url = f"{base}{GRAPHQL_PATH}"
    # For a shell: the first key that has every default permission (a read-only key cannot
    # publish), else the first key; the first help center named, else the first stored.
    full = [k for k in keys if key_permissions.get(k, DEFAULT_PERMISSIONS) >= DEFAULT_PERMISSIONS]
    seeded = list(app.emulator.help_center_ids.values())
    stored = [hc.id for hc in app.emulator.store.help_centers()]
    environment = {"PLAIN_API_URL": url, "PLAIN_API_KEY": (full or keys)[0]}
    if seeded or stored:
        environment["PLAIN_HELP_CENTER_ID"] = (seeded or stored)[0]

    def announce() -> None:
        # One fact per line, "label: value", for people and for scripts alike.
        print(f"emulator: {url}", flush=True)
        print(f"web view: {base}/", flush=True)
        for key in keys:
            print(f"api key: {key}", flush=True)
        for key in keys:
            permissions = key_permissions.get(key, DEFAULT_PERMISSIONS)
            if permissions != DEFAULT_PERMISSIONS:
                print(f"permissions of {key}: {describe_permissions(permissions)}", flush=True)
        for hc in app.emulator.store.help_centers():
            print(f"help center {hc.public_name}: {hc.id}", flush=True)
        if rate or latency_ms:
            print(
                f"faults: rate {rate} kinds {describe(kinds)} latency {latency_ms}ms"
                f" retry-after {retry_after}s long-retry-after {long_wait}s",
                flush=True,
            )
        if download_urls != DownloadUrls.OPAQUE:
            print(f"download urls: {download_urls}", flush=True)
        for name in extra_index_types:
            print(f"extra index type: {name}", flush=True)
        for name in extra_article_statuses:
            print(f"extra article status: {name}", flush=True)
        if strict:
            print("strict: yes", flush=True)
        # Lines to paste into a shell to point publisher at this emulator. They have no
        # ": ", so readers of the labelled lines pass over them.
        for name, value in environment.items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        # Last, so a script knows it has read every line above.
        print("ready: press Ctrl+C to stop", flush=True)

    server.serve(app, sock, announce)
