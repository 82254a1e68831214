"""The REST API's resources, each bound to one transport."""

from cloudsignal.resources._base import NOT_GIVEN, NotGiven
from cloudsignal.resources.acl import Acl, AclRules, RuleSets
from cloudsignal.resources.api_keys import ApiKeys
from cloudsignal.resources.audit import Audit
from cloudsignal.resources.auth_providers import AuthProviders
from cloudsignal.resources.events import Events
from cloudsignal.resources.organization import OrganizationResource
from cloudsignal.resources.presence import Presence
from cloudsignal.resources.publish import Publish
from cloudsignal.resources.retained import Retained
from cloudsignal.resources.sessions import Sessions
from cloudsignal.resources.tokens import Tokens
from cloudsignal.resources.users import Users

__all__ = [
    "NOT_GIVEN", "NotGiven", "Acl", "AclRules", "RuleSets", "ApiKeys", "Audit", "AuthProviders", "Events",
    "OrganizationResource", "Presence", "Publish", "Retained", "Sessions", "Tokens", "Users",
]
