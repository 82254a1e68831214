import marshmallow as ma

from events.application import DEFAULT_QUOTAS

NAME = ma.validate.Length(min=1, max=200)


class OrganizationSettingsSchema(ma.Schema):
    default_rule_set = ma.fields.String(
        allow_none=True,
        metadata={"description": "Rule set (name or id) given to new users created without `acl_set`"},
    )


class OrganizationBrokerSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "The broker serving the organization"})
    mqtt_url = ma.fields.String(required=True, metadata={"description": "Where its devices connect (mqtt[s]://host:port)"})


class OrganizationSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    created_at = ma.fields.DateTime()
    tenancy = ma.fields.String(metadata={"description": "single or multi (deployment-wide)"})
    settings = ma.fields.Nested(OrganizationSettingsSchema)
    broker = ma.fields.Nested(OrganizationBrokerSchema, metadata={
        "description": "Only when the deployment runs several brokers: the one serving this organization"})
    quotas = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(allow_none=True),
        metadata={"description": "Limits: " + ", ".join(DEFAULT_QUOTAS) + "; null means unlimited"},
    )
    usage = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(),
        metadata={"description": "Current counts: users, acl_rules, rule_sets, api_keys, auth_providers, "
                                 "connections (live MQTT sessions), requests_this_minute, http_messages_this_minute "
                                 "(messages from MQTT clients are counted inside the broker)"},
    )


class OrganizationPatchSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    settings = ma.fields.Nested(OrganizationSettingsSchema)
