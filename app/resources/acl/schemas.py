import marshmallow as ma

from app.pagination import page_schema
from app.resources.common import TimestampedSchema, name_field, topic_validator
from events.access.rules import ACTIONS, DEFAULT_PRIORITY, PERMISSIONS, RULE_ACTIONS

USER_GLOB = ma.validate.Regexp(
    r"^[A-Za-z0-9._*?-]{1,64}$", error="must be a username glob of letters, digits, '-', '_', '.', '*', '?'"
)


class RuleFieldsSchema(ma.Schema):
    topic = ma.fields.String(
        required=True,
        validate=topic_validator(wildcards=True, placeholders=True),
        metadata={"description": "Topic filter; may use +, # and {username}, {client_id}, {org_id}"},
    )
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(RULE_ACTIONS))
    permission = ma.fields.String(required=True, validate=ma.validate.OneOf(PERMISSIONS))
    priority = ma.fields.Integer(
        load_default=DEFAULT_PRIORITY,
        validate=ma.validate.Range(min=0, max=1_000_000),
        metadata={"description": "Lowest number is tried first; at a tie, deny before allow"},
    )
    user = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=USER_GLOB,
        metadata={"description": "Only users whose name matches this glob (e.g. `sensor-*`); null: all"},
    )


class RuleSchema(RuleFieldsSchema):
    """A rule as stored: its fields and its id."""

    id = ma.fields.String(dump_only=True)


class AclRuleSchema(RuleSchema, TimestampedSchema):
    """An organization-level rule."""


class AclRulePatchSchema(ma.Schema):
    topic = ma.fields.String(validate=topic_validator(wildcards=True, placeholders=True))
    action = ma.fields.String(validate=ma.validate.OneOf(RULE_ACTIONS))
    permission = ma.fields.String(validate=ma.validate.OneOf(PERMISSIONS))
    priority = ma.fields.Integer(validate=ma.validate.Range(min=0, max=1_000_000))
    user = ma.fields.String(allow_none=True, validate=USER_GLOB)


class RuleSetSchema(TimestampedSchema):
    id = ma.fields.String(dump_only=True)
    name = name_field(required=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))
    rules = ma.fields.List(
        ma.fields.Nested(RuleSchema), load_default=list, validate=ma.validate.Length(max=200)
    )
    users = ma.fields.Integer(dump_only=True, metadata={"description": "Users assigned to this set"})


class RuleSetPatchSchema(ma.Schema):
    name = name_field()
    description = ma.fields.String(validate=ma.validate.Length(max=500))
    rules = ma.fields.List(
        ma.fields.Nested(RuleSchema),
        validate=ma.validate.Length(max=200),
        metadata={"description": "Replaces every rule of the set"},
    )


class AclCheckSchema(ma.Schema):
    username = name_field(required=True)
    client_id = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=256)
    )
    topic = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=1024),
        metadata={"description": "Topic name (publish) or subscription filter (subscribe)"},
    )
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(ACTIONS))


class AclDecisionSchema(ma.Schema):
    allowed = ma.fields.Boolean(required=True)
    matched_rule = ma.fields.Nested(
        RuleSchema, allow_none=True, metadata={"description": "The rule that decided; null if none"}
    )
    withheld = ma.fields.List(ma.fields.Nested(RuleSchema), metadata={"description": "Deny rules that overlap a granted subscription filter: deliveries on the topics they name are withheld"})
    source = ma.fields.String(
        allow_none=True, metadata={"description": "`organization`, or the name of the rule set holding the rule"}
    )
    reason = ma.fields.String(required=True)


AclRulePageSchema = page_schema(AclRuleSchema, "AclRulePage")
RuleSetPageSchema = page_schema(RuleSetSchema, "RuleSetPage")
