import marshmallow as ma

from app.pagination import ListArgsSchema, page_schema

STATUSES = ("active", "disconnected", "all")
REASONS = "client, kicked, takeover, credentials_expired, broker_restart"


class SessionSchema(ma.Schema):
    session_id = ma.fields.String()
    client_id = ma.fields.String()
    username = ma.fields.String(metadata={"description": "Name part of the MQTT username"})
    mqtt_username = ma.fields.String()
    status = ma.fields.String(metadata={"description": "active or disconnected"})
    connected_at = ma.fields.DateTime()
    disconnected_at = ma.fields.DateTime(allow_none=True)
    disconnect_reason = ma.fields.String(allow_none=True, metadata={"description": REASONS})
    duration_seconds = ma.fields.Float(allow_none=True, metadata={"description": "Closed sessions only"})
    peer_address = ma.fields.String(allow_none=True)
    protocol_version = ma.fields.Integer(allow_none=True, metadata={"description": "3, 4 (3.1.1) or 5"})
    clean_start = ma.fields.Boolean()


class SessionQueryArgsSchema(ListArgsSchema):
    status = ma.fields.String(
        load_default="active", validate=ma.validate.OneOf(STATUSES),
        metadata={"description": "active: connected now; disconnected: persistent sessions (clean start "
                                 "false) whose client is offline; all: both"},
    )
    username = ma.fields.String(load_default=None, metadata={"description": "Name part of the MQTT username"})
    client_id = ma.fields.String(load_default=None)


class SessionHistoryQueryArgsSchema(ListArgsSchema):
    username = ma.fields.String(load_default=None)
    client_id = ma.fields.String(load_default=None)
    since = ma.fields.AwareDateTime(load_default=None, metadata={"description": "Connected at or after"})
    until = ma.fields.AwareDateTime(load_default=None, metadata={"description": "Connected before"})


class TerminateReplySchema(ma.Schema):
    username = ma.fields.String(required=True)
    sessions_terminated = ma.fields.Integer(required=True)


SessionPageSchema = page_schema(SessionSchema, "SessionPage")
