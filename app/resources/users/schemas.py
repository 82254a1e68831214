from typing import Any, Callable, List

import marshmallow as ma

from app.pagination import page_schema
from app.resources.common import TimestampedSchema, metadata_field, name_field

def _no_nul(password: str) -> None:
    """Mosquitto reads the password as a C string: it would stop at a NUL, so refuse one."""
    if "\x00" in password:
        raise ma.ValidationError("must not contain a NUL character")


PASSWORD: List[Callable[[Any], Any]] = [ma.validate.Length(min=8, max=256, error="must be 8 to 256 characters"), _no_nul]


def not_reserved(name: str) -> None:
    if name.startswith("tok_"):
        raise ma.ValidationError("names starting with 'tok_' are reserved for temporary credentials")


# The API names a rule set `acl_set` (as the platform we model does); the domain says `rule_set`.
# The fields' data_key is the one place that translates.
class UserSchema(TimestampedSchema):
    id = ma.fields.String(dump_only=True)
    username = name_field("Name part of the MQTT username", required=True)
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
    rule_set = ma.fields.String(
        data_key="acl_set", allow_none=True,
        metadata={"description": "Rule set (name or id) whose rules the user gets besides the organization's"},
    )
    metadata = metadata_field()
    mqtt_username = ma.fields.String(dump_only=True, metadata={"description": "`<username>@<org_id>`"})
    org_id = ma.fields.String(dump_only=True)
    disabled = ma.fields.Boolean(dump_only=True)

    @ma.validates("username")
    def validate_username(self, value: str, **_: object) -> None:
        not_reserved(value)


class UserPatchSchema(ma.Schema):
    password = ma.fields.String(validate=PASSWORD)
    rule_set = ma.fields.String(data_key="acl_set", allow_none=True,
                                metadata={"description": "null removes the assignment"})
    disabled = ma.fields.Boolean(metadata={"description": "Disabled users cannot connect"})
    metadata = metadata_field()


UserPageSchema = page_schema(UserSchema, "UserPage")
