"""MQTT topic names and filters: validation, and the two relations ACL evaluation needs."""

import re
from typing import List, Optional

MAX_TOPIC_BYTES = 1024
MAX_TOPIC_LEVELS = 64
PLACEHOLDERS = ("{username}", "{client_id}", "{org_id}")
CLAIM_PLACEHOLDER = re.compile(r"^\{claims\.[A-Za-z0-9_]{1,64}\}$")  # a token claim, temporary credentials

# What MQTT (and Mosquitto) refuse in UTF-8 strings: control characters, UTF-16 surrogates (they
# cannot be encoded) and Unicode noncharacters.
_UNWANTED_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)


def mqtt_string_error(value: str) -> Optional[str]:
    """Why `value` cannot travel as an MQTT UTF-8 string, or None."""
    if _UNWANTED_CHARS.search(value):
        return "must not contain control characters, surrogates or Unicode noncharacters"
    return None
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def topic_error(topic: str, *, wildcards: bool, placeholders: bool = False) -> Optional[str]:
    """Why `topic` is not a valid topic (wildcards=False) or filter (wildcards=True), or None."""
    if topic == "":
        return "must not be empty"
    unwanted = mqtt_string_error(topic)
    if unwanted:
        return unwanted
    if len(topic.encode("utf-8")) > MAX_TOPIC_BYTES:
        return f"must be at most {MAX_TOPIC_BYTES} bytes"
    if topic.startswith("$"):
        return "topics starting with '$' are reserved for the broker"
    levels = topic.split("/")
    if len(levels) > MAX_TOPIC_LEVELS:
        return f"must have at most {MAX_TOPIC_LEVELS} levels"
    for position, level in enumerate(levels):
        if ("#" in level or "+" in level) and not wildcards:
            return "wildcards '+' and '#' are not allowed in a topic name"
        if "#" in level and (level != "#" or position != len(levels) - 1):
            return "'#' must be a whole level and the last one"
        if "+" in level and level != "+":
            return "'+' must be a whole level"
    if placeholders:
        for name in _PLACEHOLDER.findall(topic):
            if name not in PLACEHOLDERS and not CLAIM_PLACEHOLDER.match(name):
                return f"unknown placeholder {name}; use one of {', '.join(PLACEHOLDERS)} or {{claims.<name>}}"
        if "{" in _PLACEHOLDER.sub("", topic) or "}" in _PLACEHOLDER.sub("", topic):
            return "unbalanced '{' or '}'"
    return None


def covers(pattern: str, subject: str) -> bool:
    """True when every topic that `subject` matches is also matched by filter `pattern`."""
    return _covers(pattern.split("/"), subject.split("/"))


def _covers(pattern: List[str], subject: List[str]) -> bool:
    for position, level in enumerate(pattern):
        if level == "#":
            return True  # also covers the parent level itself, as MQTT's '#' does
        if position >= len(subject) or subject[position] == "#":
            return False
        if level != "+" and level != subject[position]:
            return False
    return len(pattern) == len(subject)


def overlaps(first: str, second: str) -> bool:
    """True when some topic is matched by both filters."""
    a, b = first.split("/"), second.split("/")
    position = 0
    while True:
        a_done, b_done = position == len(a), position == len(b)
        if a_done and b_done:
            return True
        if (not a_done and a[position] == "#") or (not b_done and b[position] == "#"):
            return True
        if a_done or b_done:
            return False
        if a[position] != b[position] and "+" not in (a[position], b[position]):
            return False
        position += 1
