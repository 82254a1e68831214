"""The JavaScript SDK and client ids (multi tenancy): sdk/js/test/CloudSignalClient.clientid.test.ts
against the real stack; the broker's log shows the prefixed id on the wire."""

from pathlib import Path
from typing import Iterator

import pytest

from tests.broker.conftest import Stack
from tests.js.test_js_sdk import built, new_org, run_node, start_js_stack  # noqa: F401 (built: a fixture)


@pytest.fixture(scope="module")
def multi_stack(postgres, tmp_path_factory: pytest.TempPathFactory, built: None) -> Iterator[Stack]:  # noqa: F811
    """A multi-tenancy deployment of its own (test_js_sdk.py's uses another database)."""
    stack = start_js_stack(postgres, "multi", tmp_path_factory.mktemp("js-client-id-logs"), "js_client_ids")
    yield stack
    stack.service.stop()
    stack.broker.remove()


def test_client_id_prefixed_on_the_wire_and_stripped_for_the_user(multi_stack: Stack, tmp_path: Path) -> None:
    tenant = new_org(multi_stack)
    run_node(["CloudSignalClient.clientid.test.js"], tenant["env"], tmp_path)
    assert f" as {tenant['org']['org_id']}/js-dash " in multi_stack.broker.log()
