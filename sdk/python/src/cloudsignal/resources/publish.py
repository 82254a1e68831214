from __future__ import annotations

from typing import Any, Optional, Sequence, cast

from cloudsignal.resources._base import Resource
from cloudsignal.types import BatchResult, MessageProperties, OutgoingMessage, PublishResult


class Publish(Resource):
    """HTTP publish without an MQTT connection (``/v2/publish``); scope ``publish``.

    Call it: a string payload is sent as is, any other JSON value JSON-encoded. QoS 1 and 2
    return once the broker acknowledged. Example::

        api.publish("agents/agent-01/inbox", {"task": "summarize-thread"}, qos=1)
        api.publish.batch([{"topic": "a/1", "payload": "x"}, {"topic": "a/2", "payload": [1, 2]}])
    """

    def __call__(
        self,
        topic: str,
        payload: Any,
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Optional[MessageProperties] = None,
    ) -> PublishResult:
        body: dict[str, Any] = {"topic": topic, "payload": payload, "qos": qos, "retain": retain}
        if properties:
            body["properties"] = dict(properties)
        return cast(PublishResult, self._http.request("POST", "/v2/publish", json=body))

    def batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        """Publish up to 1000 messages in order; the reply has a result for each."""
        body = {"messages": [dict(message) for message in messages]}
        return cast(BatchResult, self._http.request("POST", "/v2/publish/batch", json=body))
