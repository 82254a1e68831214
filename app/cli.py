"""`cloudsignal-server`: administer a deployment from the server (no API key needed).

Reads the same environment as the service (DATABASE_URL, CLOUDSIGNAL_TENANCY, ...).
"""

import base64
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import click
import requests

from app import build_domain
from app.broker import commands as broker_commands

from app.broker.router import BrokerRouter, connect as connect_brokers
from app.maintenance import differences, export_log, import_log, replayed_digest
from app.broker.mosquitto_conf import BrokerSettings, render
from app.broker.notifier import BrokerNotifier
from app.config import ConfigError, load_config
from events import secret_box
from events.application import CloudSignal
from events.domainmodel import KEY_TYPES
from events.errors import DomainError


def _domain() -> CloudSignal:
    return build_domain(os.environ)


def _tenancy() -> str:
    try:
        return load_config(os.environ)["TENANCY"]
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


def _emit(as_json: bool, data: Dict[str, Any], lines: str) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else lines)


def _org_with_key(domain: CloudSignal, name: str) -> Dict[str, Any]:
    org = domain.create_organization(name)
    key, secret = domain.create_key(org.org_id, "admin", "secret")
    return {"org_id": org.org_id, "name": org.name, "key_id": key.key_id, "key": secret}


def _org_lines(created: Dict[str, Any]) -> str:
    return (
        f"Organization: {created['org_id']} ({created['name']})\n"
        f"Secret API key, shown only now, store it safely:\n\n    {created['key']}\n"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Administer a CloudSignal deployment: organizations, recovery keys, broker config."""


@main.command()
@click.option("--name", default="Default organization", show_default=True, help="Organization name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def init(name: str, as_json: bool) -> None:
    """Create the first organization and its first secret key (once per deployment)."""
    _tenancy()
    domain = _domain()
    existing = domain.view.organizations()
    if existing:
        org = existing[0]
        click.echo(
            f"Already initialised: organization {org.org_id} exists. "
            f"Mint a new key with: cloudsignal-server keys create --org {org.org_id}",
            err=True,
        )
        _emit(as_json, {"org_id": org.org_id, "name": org.name, "created": False}, org.org_id)
        return
    created = _org_with_key(domain, name)
    _emit(as_json, {**created, "created": True}, _org_lines(created))


@main.group()
def orgs() -> None:
    """Organizations (more than one needs CLOUDSIGNAL_TENANCY=multi)."""


@orgs.command("create")
@click.option("--name", required=True, help="Organization name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orgs_create(name: str, as_json: bool) -> None:
    """Add an organization with a first secret key."""
    if _tenancy() != "multi":
        raise click.ClickException("organizations can be added only with CLOUDSIGNAL_TENANCY=multi")
    created = _org_with_key(_domain(), name)
    _emit(as_json, created, _org_lines(created))


@orgs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orgs_list(as_json: bool) -> None:
    """List organizations."""
    domain = _domain()
    rows = [{"org_id": o.org_id, "name": o.name, **({"broker": domain.broker_of(o.org_id)} if domain.brokers else {})}
            for o in domain.view.organizations()]
    _emit(as_json, {"data": rows}, "\n".join(f"{row['org_id']}  {row['name']}" + (f"  [{row['broker']}]" if "broker" in row else "")
                                              for row in rows))


@orgs.command("quotas")
@click.option("--org", "org_id", required=True, help="Organization id (org_...).")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Set a quota, e.g. --set max_connections=100 or --set messages_per_minute=unlimited (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orgs_quotas(org_id: str, assignments: Tuple[str, ...], as_json: bool) -> None:
    """Show an organization's quotas, or change them with --set."""
    domain = _domain()
    changes = {}
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        if not value.isdigit() and value != "unlimited":
            raise click.UsageError(f"--set takes NAME=NUMBER or NAME=unlimited, not {assignment!r}")
        changes[name] = None if value == "unlimited" else int(value)
    domain.view.organization(org_id)
    if changes:
        with broker_notified(domain):
            domain.change_quotas(org_id, changes)
    quotas = domain.quotas(org_id)
    _emit(as_json, {"org_id": org_id, "quotas": quotas}, "\n".join(f"{k} {'unlimited' if v is None else v}" for k, v in quotas.items()))


@orgs.command("assign")
@click.option("--org", "org_id", required=True, help="Organization id (org_...).")
@click.option("--broker", required=True, help="A broker name of CLOUDSIGNAL_BROKERS.")
@click.option("--kick/--no-kick", default=True, show_default=True,
              help="Disconnect the organization's clients from the broker that served it (they reconnect to the new one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orgs_assign(org_id: str, broker: str, kick: bool, as_json: bool) -> None:
    """Serve an organization from another broker (recorded as an event). The sequence (see
    docs/capacity.md): drain (tell the devices the new endpoint), switch (this command: the new
    broker's plugin receives the organization's principals at its next sync, the old one drops
    them and refuses their CONNECTs), kick (its clients still on the old broker are disconnected
    and reconnect to the new one)."""
    domain = _domain()
    if not domain.brokers:
        raise click.ClickException("only one broker is configured: set CLOUDSIGNAL_BROKERS (name=host:port,...)")
    before = domain.broker_of(org_id)
    try:
        domain.assign_broker(org_id, broker)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    kicked = 0
    config = load_config(os.environ)
    if kick and before != broker and config["BROKER_SECRET"]:
        principals = ([u.mqtt_username for u in domain.view.users_of(org_id)]
                      + [c.mqtt_username for c in domain.view.credentials_of(org_id)])
        batch = [command for username in principals for command in broker_commands.revoke(username)]
        router = connect_brokers(domain, os.environ, config["INTERNAL_USERNAME"], config["BROKER_SECRET"],
                                 config["BROKER_HOST"], config["BROKER_PORT"])
        try:
            link = router.connections[before]
            deadline = time.monotonic() + 3
            while not link.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            sent = router.send_to(before, batch) if batch else []
            for info in sent:
                info.wait_for_publish(max(0.1, deadline + 2 - time.monotonic()))
            kicked = len(principals)
        except (RuntimeError, ValueError):
            click.echo(f"Warning: broker {before} did not confirm the kick; its clients stay until they reconnect",
                       err=True)
        finally:
            router.stop()
    _emit(as_json, {"org_id": org_id, "broker": broker, "previous_broker": before, "principals_kicked": kicked},
          f"{org_id} served by {broker} (was {before}); {kicked} principal(s) kicked from {before}")


@contextmanager
def broker_notified(domain: CloudSignal, timeout: float = 3.0) -> Iterator[None]:
    """Tell a running broker about the changes made in the block (new limits), when one is set up."""
    config = load_config(os.environ)
    if not config["BROKER_SECRET"]:
        yield
        return
    connection = connect_brokers(domain, os.environ, config["INTERNAL_USERNAME"], config["BROKER_SECRET"],
                                 config["BROKER_HOST"], config["BROKER_PORT"])  # several: CLOUDSIGNAL_BROKERS
    links = list(connection.connections.values()) if isinstance(connection, BrokerRouter) else [connection]
    deadline = time.monotonic() + timeout
    while not all(link.connected for link in links) and time.monotonic() < deadline:
        time.sleep(0.05)
    sent: List[Any] = []

    def send(commands: List[Dict[str, Any]]) -> List[Any]:
        infos: List[Any] = connection.send_commands(commands)
        sent.extend(infos)
        return infos

    domain.listeners.append(BrokerNotifier(domain, send, config["TENANCY"]))
    try:
        yield
        try:
            for info in sent:
                info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        except RuntimeError:
            pass
        if not all(info.is_published() for info in sent):
            click.echo("Warning: the broker did not confirm the change; it applies at the next CONNECT", err=True)
    finally:
        connection.stop()


@main.group()
def keys() -> None:
    """API keys, for recovery when no working key is left."""


@keys.command("create")
@click.option("--org", "org_id", required=True, help="Organization id (org_...).")
@click.option("--name", default="recovery", show_default=True, help="Key name.")
@click.option("--type", "key_type", type=click.Choice(KEY_TYPES), default="secret", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_create(org_id: str, name: str, key_type: str, as_json: bool) -> None:
    """Mint an API key for an organization."""
    domain = _domain()
    domain.view.organization(org_id)
    key, secret = domain.create_key(org_id, name, key_type)
    _emit(as_json, {"org_id": org_id, "key_id": key.key_id, "key": secret}, secret)


@main.command("broker-config")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="var/mosquitto", show_default=True,
              help="Where to write mosquitto.conf, the broker secret and the broker's data.")
@click.option("--service-url", default="http://127.0.0.1:8081", show_default=True,
              help="The service's internal listener (CLOUDSIGNAL_INTERNAL_BIND), as the plugin calls it.")
@click.option("--mqtt-port", type=click.IntRange(1, 65535), default=1883, show_default=True)
@click.option("--ws-port", type=click.IntRange(1, 65535), default=9001, show_default=True)
@click.option("--tls-port", type=click.IntRange(1, 65535), default=None, help="Add a TLS listener (needs --tls-dir).")
@click.option("--tls-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder with ca.crt, server.crt and server.key (make tls).")
@click.option("--broker-name", default=None,
              help="This broker's name in CLOUDSIGNAL_BROKERS, when there are several (plugin_opt_broker_name).")
def broker_config(directory: str, service_url: str, mqtt_port: int, ws_port: int,
                  tls_port: Optional[int], tls_dir: Optional[str], broker_name: Optional[str]) -> None:
    """Write the Mosquitto configuration for this deployment; prints its path."""
    if tls_port and not tls_dir:
        raise click.UsageError("--tls-port needs --tls-dir")
    settings = BrokerSettings(
        directory=Path(directory).resolve(), service_url=service_url, mqtt_port=mqtt_port, ws_port=ws_port,
        tls_port=tls_port, tls_dir=Path(tls_dir).resolve() if tls_dir else None,
        internal_username=os.environ.get("CLOUDSIGNAL_INTERNAL_USERNAME", "cloudsignal-internal"),
        broker_name=broker_name,
    )
    click.echo(render(settings))


@main.command()
@click.option("--verify", is_flag=True, required=True, help="Compare the replay with the live read model.")
@click.option("--service-url", default=lambda: "http://" + os.environ.get("CLOUDSIGNAL_INTERNAL_BIND", "127.0.0.1:8081"),
              show_default="http://CLOUDSIGNAL_INTERNAL_BIND",
              help="The running service's internal listener, whose read model to check (needs the broker secret).")
def replay(verify: bool, service_url: str) -> None:
    """Rebuild every projection from the first event and compare it with a running service's.

    Exits 1 on any difference. Example: cloudsignal-server replay --verify
    """
    secret = load_config(os.environ)["BROKER_SECRET"]
    if not secret:
        raise click.UsageError("set CLOUDSIGNAL_BROKER_SECRET or CLOUDSIGNAL_BROKER_SECRET_FILE, as for the service")
    try:
        reply = requests.get(f"{service_url.rstrip('/')}/internal/read-model", timeout=60,
                             headers={"Authorization": f"Bearer {secret}"})
    except requests.RequestException as error:
        raise click.ClickException(f"cannot reach the service at {service_url}: {error}") from None
    if reply.status_code != 200:
        raise click.ClickException(f"the service answered {reply.status_code}: {reply.text[:200]}")
    live = reply.json()
    rows = differences(live["aggregates"], replayed_digest(build_domain(os.environ, build_view=False), live["position"]))
    click.echo(f"Replayed the log up to position {live['position']}.")
    click.echo(f"{'kind':<22} {'live':>8} {'replayed':>9}  result")
    for kind, live_count, replayed_count, differing in rows:
        result = "ok" if not differing else f"{len(differing)} differ: {', '.join(differing[:10])}"
        click.echo(f"{kind:<22} {live_count:>8} {replayed_count:>9}  {result}")
    if any(differing for *_, differing in rows):
        raise click.ClickException("the live read model differs from a replay of the log")


@main.command("export")
@click.option("--out", default="-", show_default=True, help="File to write (JSON lines); created 0600.")
def export_command(out: str) -> None:
    """Write the whole event log as JSON lines (backup, or moving from SQLite to PostgreSQL).

    The export holds what the store holds, except that provider secrets are never in clear:
    they stay encrypted with the deployment's key (CLOUDSIGNAL_SECRETS_KEY_FILE, not in the
    export), and events from before encryption get theirs encrypted on the way out. Importing
    needs the same key file. The file is created readable by its owner only (0600), whatever
    the umask.
    """
    domain = build_domain(os.environ, build_view=False)
    if out == "-":
        count = export_log(domain, _SealingWriter(sys.stdout))
    else:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
        with os.fdopen(descriptor, "w") as handle:
            count = export_log(domain, _SealingWriter(handle))
    click.echo(f"Exported {count} events.", err=True)


@main.group("secrets")
def secrets_group() -> None:
    """The deployment key that encrypts auth providers' secrets (CLOUDSIGNAL_SECRETS_KEY_FILE)."""


@secrets_group.command("rotate")
@click.option("--no-new-key", is_flag=True,
              help="Re-encrypt with the key already first in the file (one you put there yourself).")
def secrets_rotate(no_new_key: bool) -> None:
    """Put a new key first in the key file and re-encrypt every provider secret with it.

    The older keys stay in the file, so processes still holding the old ciphertexts keep reading
    them; once every process follows the log (a second or so), `secrets retire` drops them.
    Secrets stored in clear before encryption existed are encrypted too.
    """
    keys = secret_box.keys(create=True) if no_new_key else secret_box.add_key()
    changed = _domain().reseal_provider_secrets()
    click.echo(f"{'Newest key' if no_new_key else 'New key first'} in {secret_box.key_path()} ({len(keys)} keys); "
               f"re-encrypted the secrets of {len(changed)} auth provider(s).")


@secrets_group.command("retire")
def secrets_retire() -> None:
    """Drop every key but the newest, after checking that it opens every stored provider secret."""
    domain = _domain()
    if domain.reseal_provider_secrets():
        click.echo("Re-encrypted provider secrets still under an older key.", err=True)
    unreadable = domain.unreadable_provider_secrets(newest_only=True)
    if unreadable:
        raise click.ClickException(f"the newest key does not open the secrets of {', '.join(unreadable)}")
    removed = secret_box.retire_old_keys()
    click.echo(f"Removed {len(removed)} older key(s) from {secret_box.key_path()}.")


@secrets_group.command("check")
def secrets_check() -> None:
    """Check that the key file opens every stored provider secret (exit 1 otherwise)."""
    unreadable = _domain().unreadable_provider_secrets()
    if unreadable:
        raise click.ClickException(f"the key file {secret_box.key_path()} does not open the secrets of "
                                   f"{', '.join(unreadable)}")
    click.echo("Every provider secret opens with the key file.")


class _SealingWriter:
    """Passes exported lines through, encrypting a provider secret an old event holds in clear."""

    def __init__(self, out: Any):
        self.out = out

    def write(self, line: str) -> None:
        record = json.loads(line)
        if "AuthProvider" in record["topic"]:
            state = json.loads(base64.b64decode(record["state"]))
            settings = state.get("settings") if isinstance(state, dict) else None
            if isinstance(settings, dict):
                sealed = secret_box.seal_settings(settings, stored=settings)
                if sealed != settings:
                    state["settings"] = sealed
                    encoded = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                    record["state"] = base64.b64encode(encoded).decode()
                    line = json.dumps(record) + "\n"
        self.out.write(line)


@main.command("import")
@click.argument("source", type=click.File("r"))
def import_command(source: Any) -> None:
    """Load an export into an EMPTY store (the one DATABASE_URL or the SQLite path names)."""
    try:
        count = import_log(build_domain(os.environ, build_view=False), source)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Imported {count} events.", err=True)


def run() -> None:
    """Console entry point: domain errors become one line and exit status 1."""
    try:
        main(standalone_mode=True)
    except DomainError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
