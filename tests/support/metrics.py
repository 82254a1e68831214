"""Read one sample from a Prometheus text exposition."""

from typing import Dict

import requests
from prometheus_client.parser import text_string_to_metric_families


def samples(url: str) -> Dict[tuple, float]:
    """Every sample at `url`/metrics, keyed by (name, sorted label items)."""
    reply = requests.get(f"{url}/metrics", timeout=10)
    assert reply.status_code == 200, reply.text
    found: Dict[tuple, float] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def sample(url: str, name: str, **labels: str) -> float:
    """The value of `name{labels}` at `url`/metrics, 0 when absent."""
    return samples(url).get((name, tuple(sorted(labels.items()))), 0.0)
