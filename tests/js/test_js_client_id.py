"""The JavaScript SDK and client ids (multi tenancy): sdk/js/test/CloudSignalClient.clientid.test.ts
against the real stack; the broker's log shows the prefixed id on the wire."""

from pathlib import Path

from tests.js.test_js_sdk import built, multi, new_org, run_node  # noqa: F401 (fixtures)

__all__ = ["built", "multi"]


def test_client_id_prefixed_on_the_wire_and_stripped_for_the_user(multi, tmp_path: Path) -> None:  # noqa: F811
    tenant = new_org(multi)
    run_node(["CloudSignalClient.clientid.test.js"], tenant["env"], tmp_path)
    assert f" as {tenant['org']['org_id']}/js-dash " in multi.broker.log()
