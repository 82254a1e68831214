"""Request and reply shapes of the broker-facing endpoints (EMQX HTTP auth, mosquitto-go-auth)."""

from typing import Any, Dict

import marshmallow as ma

FIELD = ma.validate.Length(max=65535)


class BrokerSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # brokers may send more than we read


class AuthenticateSchema(BrokerSchema):
    username = ma.fields.String(required=True, validate=FIELD)
    password = ma.fields.String(load_default="", validate=FIELD)
    clientid = ma.fields.String(load_default=None, allow_none=True, validate=FIELD)
    peerhost = ma.fields.String(load_default=None, allow_none=True)
    proto_ver = ma.fields.Integer(load_default=None, allow_none=True)
    clean_start = ma.fields.Boolean(load_default=None, allow_none=True)
    verifier_version = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
        metadata={"description": "The broker held a verifier of this credential version and the password did "
                                 "not match it"})
    broker = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
                              metadata={"description": "The broker's name (plugin_opt_broker_name), when there are "
                                                       "several: principals of organizations it does not serve are "
                                                       "refused"})


class AclRuleReplySchema(ma.Schema):
    permission = ma.fields.String(metadata={"description": "allow or deny"})
    action = ma.fields.String(metadata={"description": "publish, subscribe or all"})
    topic = ma.fields.String(metadata={"description": "Absolute filter; `${clientid}` is rendered by the broker"})


class LimitsSchema(ma.Schema):
    org_id = ma.fields.String()
    max_connections = ma.fields.Integer(allow_none=True)
    messages_per_minute = ma.fields.Integer(allow_none=True)
    max_retained_messages = ma.fields.Integer(allow_none=True)
    max_payload_bytes = ma.fields.Integer(allow_none=True)


class AuthenticateReplySchema(ma.Schema):
    result = ma.fields.String(required=True, metadata={"description": "allow or deny"})
    is_superuser = ma.fields.Boolean(required=True)
    acl = ma.fields.List(ma.fields.Nested(AclRuleReplySchema), metadata={"description": "In the order tried"})
    expire_at = ma.fields.Integer(metadata={"description": "Epoch seconds; temporary credentials only"})
    limits = ma.fields.Nested(LimitsSchema, metadata={"description": "Organization limits the broker enforces"})
    credential_version = ma.fields.String(
        metadata={"description": "Changes with the password: the broker keeps its verifier while this stays"})
    reason = ma.fields.String(metadata={"description": "Why, for the broker's log"})


class AuthorizeSchema(BrokerSchema):
    username = ma.fields.String(required=True, validate=FIELD)
    clientid = ma.fields.String(load_default=None, allow_none=True, validate=FIELD)
    topic = ma.fields.String(required=True, validate=FIELD)
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(("publish", "subscribe")))


class AuthorizeReplySchema(ma.Schema):
    result = ma.fields.String(required=True)
    reason = ma.fields.String()


class GoAuthUserSchema(BrokerSchema):
    username = ma.fields.String(required=True, validate=FIELD)
    password = ma.fields.String(load_default="", validate=FIELD)
    clientid = ma.fields.String(load_default=None, allow_none=True, validate=FIELD)


class GoAuthSuperuserSchema(BrokerSchema):
    username = ma.fields.String(required=True, validate=FIELD)


class GoAuthAclSchema(BrokerSchema):
    username = ma.fields.String(required=True, validate=FIELD)
    clientid = ma.fields.String(load_default=None, allow_none=True, validate=FIELD)
    topic = ma.fields.String(required=True, validate=FIELD)
    acc = ma.fields.Integer(
        required=True, validate=ma.validate.OneOf((1, 2, 3, 4)),
        metadata={"description": "1 read, 2 write, 3 read and write, 4 subscribe"},
    )


class GoAuthReplySchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    error = ma.fields.String()


SESSION_EVENTS = ("broker_started", "connected", "disconnected")
REPORTS = ("stats", "quota_refused", "subscribed", "unsubscribed", "retained")
COUNT = ma.validate.Range(min=0)


class BrokerEventSchema(BrokerSchema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(SESSION_EVENTS + REPORTS))
    at = ma.fields.Integer(required=True, metadata={"description": "Epoch milliseconds"})
    session_id = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    clientid = ma.fields.String(validate=FIELD)
    username = ma.fields.String(validate=FIELD)
    peerhost = ma.fields.String(allow_none=True)
    proto_ver = ma.fields.Integer(allow_none=True)
    clean_start = ma.fields.Boolean()
    reason = ma.fields.String(validate=ma.validate.OneOf(("client", "kicked", "takeover", "credentials_expired")))
    # stats: CONNECTs decided since the previous report
    local_admits = ma.fields.Integer(validate=COUNT)
    local_refusals = ma.fields.Integer(validate=COUNT)
    http_calls = ma.fields.Integer(validate=COUNT)
    throttled = ma.fields.Integer(validate=COUNT)
    # quota_refused: an organization's refusals by one quota since its previous report
    org_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    quota = ma.fields.String(validate=ma.validate.OneOf(("messages_per_minute", "max_connections",
                                                         "max_retained_messages", "max_payload_bytes")))
    count = ma.fields.Integer(validate=COUNT)
    # subscribed/unsubscribed (session_id too): a filter of the session, as the broker knows it
    filter = ma.fields.String(validate=ma.validate.Length(min=1, max=65535))
    # retained (org_id too): a retained publish the broker allowed; size 0 cleared the topic
    topic = ma.fields.String(validate=ma.validate.Length(min=1, max=65535))
    size = ma.fields.Integer(validate=COUNT)
    qos = ma.fields.Integer(validate=ma.validate.Range(min=0, max=2))

    @ma.validates_schema
    def check_session_fields(self, data: Dict[str, Any], **_: object) -> None:
        if data["type"] == "quota_refused":
            missing = [name for name in ("org_id", "quota", "count") if name not in data]
            if missing:
                raise ma.ValidationError(f"quota_refused reports need {', '.join(missing)}")
        elif data["type"] in ("subscribed", "unsubscribed"):
            missing = [name for name in ("session_id", "filter") if name not in data]
            if missing:
                raise ma.ValidationError(f"{data['type']} reports need {', '.join(missing)}")
        elif data["type"] == "retained":
            missing = [name for name in ("org_id", "topic", "size") if name not in data]
            if missing:
                raise ma.ValidationError(f"retained reports need {', '.join(missing)}")
        elif data["type"] in ("connected", "disconnected"):
            missing = [name for name in ("session_id", "clientid", "username") if name not in data]
            if missing:
                raise ma.ValidationError(f"{data['type']} events need {', '.join(missing)}")


class BrokerEventsSchema(BrokerSchema):
    broker_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    broker = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
                              metadata={"description": "The broker's name, when there are several"})
    events = ma.fields.List(ma.fields.Nested(BrokerEventSchema), required=True,
                            validate=ma.validate.Length(max=1000))


class BrokerEventsReplySchema(ma.Schema):
    accepted = ma.fields.Integer(required=True)
    changed = ma.fields.Integer(required=True)


class SyncSchema(BrokerSchema):
    after = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0),
                              metadata={"description": "The log position the broker holds"})
    store = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=128),
                             metadata={"description": "The store id the broker holds; null when it holds nothing"})
    retained = ma.fields.Boolean(load_default=False,
                                 metadata={"description": "Also send every organization's retained topics"})
    broker = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
                              metadata={"description": "The broker's name, when there are several: only the "
                                                       "organizations it serves"})


class PrincipalSchema(ma.Schema):
    username = ma.fields.String(required=True)
    credential_version = ma.fields.String(required=True)
    is_superuser = ma.fields.Boolean(required=True)
    expire_at = ma.fields.Integer(allow_none=True)
    acl = ma.fields.List(ma.fields.Nested(AclRuleReplySchema))
    limits = ma.fields.Nested(LimitsSchema)


class SyncReplySchema(ma.Schema):
    store = ma.fields.String(allow_none=True)
    position = ma.fields.Integer(required=True)
    reset = ma.fields.Boolean(required=True, metadata={"description": "Drop everything held, then go on from position"})
    more = ma.fields.Boolean(required=True, metadata={"description": "Call again at once with after=position"})
    principals = ma.fields.List(ma.fields.Nested(PrincipalSchema), metadata={"description": "Changed since after"})
    removed = ma.fields.List(ma.fields.String(), metadata={"description": "Deleted or disabled since after"})
    tenancy = ma.fields.String()
    default_org = ma.fields.String(allow_none=True)
    retained = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                              metadata={"description": "When asked: organization id -> its retained topics"})


class ReadModelDigestSchema(ma.Schema):
    position = ma.fields.Integer(required=True, metadata={"description": "Last log position applied"})
    aggregates = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata={"description": "kind -> public id -> sha256 of the aggregate's state"})
