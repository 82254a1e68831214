import marshmallow as ma

from app.pagination import ListArgsSchema

FILTER = ma.validate.Length(min=1, max=65535)


class PresenceQueryArgsSchema(ListArgsSchema):
    topic = ma.fields.String(
        load_default=None, validate=FILTER,
        metadata={"description": "Only sessions subscribed to a filter that overlaps this one (`+` and `#` "
                                 "allowed): `room/1` finds subscribers of `room/+` and `#`"})


class PresenceSessionSchema(ma.Schema):
    session_id = ma.fields.String()
    username = ma.fields.String(metadata={"description": "Name part of the MQTT username"})
    mqtt_username = ma.fields.String()
    client_id = ma.fields.String(metadata={"description": "As its user knows it (without the organization prefix)"})
    peer_address = ma.fields.String(allow_none=True)
    connected_at = ma.fields.DateTime()
    filters = ma.fields.List(ma.fields.String(), metadata={
        "description": "Current subscriptions the rules allowed, as the client wrote them (`$share/GROUP/FILTER` "
                       "for shared ones)"})


class PresenceListSchema(ma.Schema):
    online_count = ma.fields.Integer(required=True, metadata={"description": "Matching sessions on every page"})
    users = ma.fields.List(ma.fields.Nested(PresenceSessionSchema), required=True,
                           metadata={"description": "One row per session"})
    next_cursor = ma.fields.String(allow_none=True, required=True, metadata={"description": "null on the last page"})


class PresenceUserSchema(ma.Schema):
    username = ma.fields.String(required=True)
    online = ma.fields.Boolean(required=True)
    sessions = ma.fields.List(ma.fields.Nested(PresenceSessionSchema), required=True)


class RetainedQueryArgsSchema(ListArgsSchema):
    topic = ma.fields.String(load_default=None, validate=FILTER,
                             metadata={"description": "Only topics this filter matches (`+` and `#` allowed)"})
    include_payload = ma.fields.Boolean(
        load_default=False, metadata={"description": "Also fetch the payloads from the broker (one subscription "
                                                     "of the service's internal user per request)"})


class RetainedMessageSchema(ma.Schema):
    topic = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True, metadata={"description": "Payload bytes"})
    qos = ma.fields.Integer(required=True)
    updated_at = ma.fields.DateTime(required=True, metadata={"description": "When it was last set"})
    payload = ma.fields.String(allow_none=True, metadata={"description": "include_payload only: UTF-8 text, or "
                                                                        "base64 (payload_encoding)"})
    payload_encoding = ma.fields.String(metadata={"description": "include_payload only: utf-8 or base64"})


class RetainedPageSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(RetainedMessageSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
    count = ma.fields.Integer(required=True, metadata={"description": "Matching retained messages on every page"})


class RetainedDeleteArgsSchema(ma.Schema):
    topic = ma.fields.String(required=True, validate=FILTER,
                             metadata={"description": "Filter of the retained messages to delete (`+`, `#`)"})
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Only count (and list) them"})


class RetainedDeleteReplySchema(ma.Schema):
    deleted = ma.fields.Boolean(required=True)
    topic = ma.fields.String(required=True)


class RetainedBulkDeleteReplySchema(ma.Schema):
    topic = ma.fields.String(required=True, metadata={"description": "The filter"})
    dry_run = ma.fields.Boolean(required=True)
    count = ma.fields.Integer(required=True, metadata={"description": "Matched (dry run) or deleted"})
    topics = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "At most 500 of them"})
