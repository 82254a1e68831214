import marshmallow as ma

from app.resources.common import mqtt_string, topic_validator

MAX_BATCH = 1000


class AnyJson(ma.fields.Raw):
    """A string (sent as is) or any other JSON value (sent JSON-encoded)."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]  # marshmallow's own signature, unannotated
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ma.ValidationError("a string payload must be valid Unicode (no lone surrogates)") from None
        return value


class PropertiesSchema(ma.Schema):
    content_type = ma.fields.String(validate=[ma.validate.Length(max=256), mqtt_string])
    message_expiry_interval = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=2**32 - 1), metadata={"description": "Seconds"})
    response_topic = ma.fields.String(validate=topic_validator(wildcards=False))
    correlation_data = ma.fields.String(validate=[ma.validate.Length(max=1024), mqtt_string])
    user_properties = ma.fields.Dict(
        keys=ma.fields.String(validate=[ma.validate.Length(min=1, max=256), mqtt_string]),
        values=ma.fields.String(validate=[ma.validate.Length(max=1024), mqtt_string]),
        validate=ma.validate.Length(max=32),
    )


class PublishSchema(ma.Schema):
    topic = ma.fields.String(required=True, validate=topic_validator(wildcards=False),
                             metadata={"description": "A topic name, no wildcards"})
    payload = AnyJson(required=True, allow_none=True,
                      metadata={"description": "A string is sent as is; any other JSON value JSON-encoded"})
    qos = ma.fields.Integer(load_default=0, validate=ma.validate.OneOf((0, 1, 2)))
    retain = ma.fields.Boolean(load_default=False)
    properties = ma.fields.Nested(PropertiesSchema, load_default=dict, metadata={"description": "MQTT 5 properties"})


class PublishReplySchema(ma.Schema):
    topic = ma.fields.String(required=True)
    qos = ma.fields.Integer(required=True)
    retain = ma.fields.Boolean(required=True)
    message_id = ma.fields.Integer(required=True)
    acknowledged = ma.fields.Boolean(
        required=True, metadata={"description": "QoS 1/2: the broker acknowledged; QoS 0: false (not asked)"})


class BatchSchema(ma.Schema):
    messages = ma.fields.List(ma.fields.Nested(PublishSchema), required=True,
                              validate=ma.validate.Length(min=1, max=MAX_BATCH))


class BatchResultSchema(ma.Schema):
    index = ma.fields.Integer(required=True)
    ok = ma.fields.Boolean(required=True)
    message_id = ma.fields.Integer()
    error = ma.fields.String(metadata={"description": "broker_unavailable, broker_timeout or message_quota_exceeded "
                                                      "(the broker refused it by a quota)"})


class BatchReplySchema(ma.Schema):
    published = ma.fields.Integer(required=True)
    failed = ma.fields.Integer(required=True)
    results = ma.fields.List(ma.fields.Nested(BatchResultSchema), required=True)
