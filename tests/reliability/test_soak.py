"""A bounded soak: MQTT clients publish QoS 1 for a while; a publisher is kicked and the service
restarts in the middle; every message the broker acknowledged must reach the subscriber.

SOAK_SECONDS sets the duration (make test: 20 s; make test-reliability: 180 s).
"""

import os
import threading
import time


from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient

PUBLISHERS = 4
RATE = 50  # messages per second per publisher


def test_soak(postgres, tmp_path):
    seconds = float(os.environ.get("SOAK_SECONDS", "20"))
    stack = start_stack(postgres, "multi", tmp_path, database="soak")
    try:
        org = stack.new_org()
        api = Client(stack.service.url, org["key"])
        allow(api, "soak/#")
        topic = org["org_id"] + "/soak/data"
        subscriber = MqttTestClient(stack.broker.port, make_user(api, "sink"), "secure-password",
                                    client_id="soak-sink", clean_start=False, reconnect=True)
        assert subscriber.subscribed(topic)
        received = set()
        subscriber.client.on_message = lambda c, u, message: received.add(message.payload)

        acknowledged, sent = set(), 0
        lock = threading.Lock()
        stop = threading.Event()

        def publish(number: int) -> None:
            nonlocal sent
            client = MqttTestClient(stack.broker.port, make_user(api, f"source-{number}"), "secure-password",
                                    client_id=f"soak-source-{number}", reconnect=True)
            pending = {}

            def on_publish(c, userdata, mid, reason, properties):
                payload = pending.pop(mid, None)
                if payload is not None and not reason.is_failure:
                    with lock:
                        acknowledged.add(payload)

            client.client.on_publish = on_publish
            sequence = 0
            while not stop.is_set():
                payload = f"{number}-{sequence}".encode()
                info = client.client.publish(topic, payload, qos=1)
                pending[info.mid] = payload
                with lock:
                    sent += 1
                sequence += 1
                time.sleep(1 / RATE)
            time.sleep(2)  # let the last acknowledgements arrive
            client.close()

        threads = [threading.Thread(target=publish, args=(n,)) for n in range(PUBLISHERS)]
        for thread in threads:
            thread.start()
        time.sleep(seconds / 3)
        assert api.delete("/v2/sessions/soak-source-0").status_code == 204  # kick a live publisher
        time.sleep(seconds / 6)
        stack.service.stop()
        stack.service.start()
        time.sleep(seconds / 2)
        stop.set()
        for thread in threads:
            thread.join()
        eventually(lambda: acknowledged <= received, timeout=10)
        lost = acknowledged - received
        print(f"\nsoak {seconds:.0f} s: {sent} sent, {len(acknowledged)} acknowledged, {len(received)} received, "
              f"{len(lost)} acknowledged but lost")
        assert len(acknowledged) > PUBLISHERS * RATE * seconds * 0.5
        assert not lost
        subscriber.close()
    finally:
        stack.service.stop()
        stack.broker.remove()
