import pytest

from events.topics import covers, overlaps, topic_error


@pytest.mark.parametrize(
    "topic, wildcards, placeholders, fragment",
    [
        ("", True, False, "empty"),
        ("a/#/b", True, False, "'#' must be a whole level and the last one"),
        ("a/b#", True, False, "'#' must be a whole level"),
        ("+x", True, False, "'+' must be a whole level"),
        ("a/+/c", False, False, "wildcards"),
        ("a\x00b", True, False, "control characters"),
        ("a\x85b", True, False, "control characters"),
        ("a\ud800b", True, False, "surrogates"),
        ("a\uffffb", True, False, "noncharacters"),
        ("$SYS/#", True, False, "reserved"),
        ("a" * 1025, True, False, "at most 1024 bytes"),
        ("/".join(["a"] * 65), True, False, "at most 64 levels"),
        ("a/{user}/b", True, True, "unknown placeholder {user}"),
        ("a/{username/b", True, True, "unbalanced"),
    ],
)
def test_invalid_topics_name_the_problem(topic, wildcards, placeholders, fragment):
    assert fragment in topic_error(topic, wildcards=wildcards, placeholders=placeholders)


@pytest.mark.parametrize("topic", ["a", "a/b/c", "/a", "a//b", "+", "#", "a/+/c/#", "sensors/+/temp"])
def test_valid_filters_pass(topic):
    assert topic_error(topic, wildcards=True) is None


def test_placeholders_are_accepted_only_in_rules():
    assert topic_error("agents/{username}/{client_id}/{org_id}", wildcards=True, placeholders=True) is None
    assert topic_error("a/{anything}", wildcards=False) is None  # braces are plain characters in topics


@pytest.mark.parametrize(
    "pattern, subject, expected",
    [
        ("a/#", "a/b/c", True),
        ("a/#", "a", True),
        ("a/#", "a/+", True),
        ("a/+", "a/b", True),
        ("a/+", "a/+", True),
        ("a/+", "a/#", False),
        ("a/+", "a/b/c", False),
        ("a/b", "a/+", False),
        ("#", "anything/at/all", True),
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
        ("a/b/c", "a/b", False),
    ],
)
def test_covers(pattern, subject, expected):
    assert covers(pattern, subject) is expected


@pytest.mark.parametrize(
    "first, second, expected",
    [
        ("a/secret", "a/#", True),
        ("a/secret", "a/+", True),
        ("a/secret", "b/#", False),
        ("a/+/x", "a/b/+", True),
        ("a/b", "a/b/c", False),
        ("a/#", "a", True),
        ("a/b/c", "+/+", False),
    ],
)
def test_overlaps_is_symmetric(first, second, expected):
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected
