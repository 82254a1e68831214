import marshmallow as ma

from app.resources.acl.schemas import RuleFieldsSchema
from app.resources.common import name_field

MAX_POLICY_RULES, MAX_POLICY_RULE_SETS = 1000, 100


class PolicyRuleSchema(RuleFieldsSchema):
    id = ma.fields.String(
        load_default=None, allow_none=True,
        metadata={"description": "An existing rule's id: that rule, changed to these fields. Without an id, an "
                                 "identical existing rule is kept, else a new one is created"},
    )


class PolicyRuleSetSchema(ma.Schema):
    name = name_field("Rule sets are matched by name", required=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))
    rules = ma.fields.List(ma.fields.Nested(PolicyRuleSchema), load_default=list,
                           validate=ma.validate.Length(max=200),
                           metadata={"description": "The set's rules (ids, if given, are ignored)"})


class PolicySchema(ma.Schema):
    """The organization's rules and rule sets as one document."""

    rules = ma.fields.List(ma.fields.Nested(PolicyRuleSchema), required=True,
                           validate=ma.validate.Length(max=MAX_POLICY_RULES),
                           metadata={"description": "Organization rules: they apply to every user"})
    rule_sets = ma.fields.List(ma.fields.Nested(PolicyRuleSetSchema), required=True,
                               validate=ma.validate.Length(max=MAX_POLICY_RULE_SETS))


class PolicyApplySchema(PolicySchema):
    dry_run = ma.fields.Boolean(load_default=False,
                                metadata={"description": "Only answer the plan; change nothing"})


class PolicyPlanSchema(ma.Schema):
    dry_run = ma.fields.Boolean(required=True)
    applied = ma.fields.Boolean(required=True, metadata={"description": "The changes were saved (as one commit)"})
    request_id = ma.fields.String(allow_none=True,
                                  metadata={"description": "Every event of the push carries it (see /v2/events)"})
    created = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "`{kind: rule, id, rule}` or `{kind: rule_set, name, description, rules}`; a dry run's new "
                       "rule ids are null"})
    changed = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "`{kind, id | name, changes: {field: {from, to}}}`"})
    deleted = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "`{kind: rule, id, rule}` or `{kind: rule_set, name, description, rules}`"})
    unchanged = ma.fields.Integer(required=True, metadata={"description": "Rules and rule sets left as they are"})
