import re

import marshmallow as ma

from app.pagination import MAX_LIMIT
from app.resources.acl.schemas import RuleSchema
from events.access.rules import ACTIONS


class Moment(ma.fields.AwareDateTime):
    """ISO 8601 with a time zone; a '+' offset sent unencoded in a query string arrives as a space
    (`?at=2026-12-01T10:00:00+00:00`), and is read as the '+' it was."""

    _SPACED_OFFSET = re.compile(r"(T?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]  # marshmallow's own signature, unannotated
        if isinstance(value, str):
            value = self._SPACED_OFFSET.sub(r"\1+\2", value)
        return super()._deserialize(value, attr, data, **kwargs)


class EventQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    after = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0),
                              metadata={"description": "Position to start after (`next_cursor` of the previous page)"})
    cursor = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=0),
                               metadata={"description": "Same as `after`"})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    type = ma.fields.String(load_default=None, metadata={"description": "`MqttUser.Created`, or `MqttUser` for all of one kind"})
    aggregate = ma.fields.String(load_default=None, metadata={"description": "Public id, e.g. usr_..., rule_..."})
    actor = ma.fields.String(load_default=None, metadata={"description": "API key id, `system` or `broker`"})
    since = Moment(load_default=None)
    until = Moment(load_default=None)


class StreamQueryArgsSchema(EventQueryArgsSchema):
    timeout = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=1, max=3600),
                                metadata={"description": "Seconds before the stream ends (reconnect with Last-Event-ID)"})


class EventAggregateSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": "organization, user, acl_rule, rule_set, api_key, session, "
                                                     "auth_provider, temporary_credential"})
    id = ma.fields.String()
    name = ma.fields.String()
    version = ma.fields.Integer()


class EventActorSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "API key id, `system` or `broker`"})
    name = ma.fields.String(allow_none=True)


class EventSchema(ma.Schema):
    position = ma.fields.Integer(allow_none=True)
    time = ma.fields.DateTime()
    type = ma.fields.String()
    aggregate = ma.fields.Nested(EventAggregateSchema)
    actor = ma.fields.Nested(EventActorSchema)
    request_id = ma.fields.String(allow_none=True)
    change = ma.fields.Raw(metadata={"description": "The event's fields; hashes and secrets are never included"})


class EventPageSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(EventSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True,
                                   metadata={"description": "Pass as `after`; null on the last page (poll again with "
                                                            "the last event's position for newer ones)"})


class AccessQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    username = ma.fields.String(required=True)
    topic = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(ACTIONS))
    at = Moment(required=True, metadata={"description": "ISO 8601 with a time zone"})
    client_id = ma.fields.String(load_default=None)


class AccessSchema(ma.Schema):
    at = ma.fields.DateTime()
    allowed = ma.fields.Boolean()
    reason = ma.fields.String()
    matched_rule = ma.fields.Nested(RuleSchema, allow_none=True)
    withheld = ma.fields.List(ma.fields.Nested(RuleSchema), metadata={"description": "Deny rules that overlap a granted subscription filter: deliveries on the topics they name are withheld"})
    source = ma.fields.String(allow_none=True)
    events = ma.fields.List(ma.fields.Nested(EventSchema), metadata={"description": "The events behind the answer"})


class StateQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    at = Moment(required=True)


class StateSchema(ma.Schema):
    at = ma.fields.DateTime()
    users = ma.fields.List(ma.fields.Dict())
    rules = ma.fields.List(ma.fields.Dict())
    rule_sets = ma.fields.List(ma.fields.Dict())
    api_keys = ma.fields.List(ma.fields.Dict())
