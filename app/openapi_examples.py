"""Examples for the OpenAPI document: one realistic value per response schema and per request body.

`app.openapi` puts them on every operation (`content.<type>.example`). Response examples are keyed
by component schema name (a `<Name>Page` is derived from `<Name>`); request examples by
operationId. tests/api/test_openapi.py validates each one against its schema, so an example that
drifts from the API fails there. A body with no example here gets one synthesized from its schema.
"""

from typing import Any, Dict

ORG = "org_k7xm4pqr2n5t"
T0 = "2025-01-31T12:00:00+00:00"
T1 = "2025-01-31T12:05:00+00:00"

RULE = {"id": "rule_4fTq9ZkQ2mWx7bYc", "topic": "agents/{username}/#", "action": "both", "permission": "allow",
        "priority": 100, "user": None}
SET_RULE = {"id": "rule_8HjK2LmN4pQr6sTu", "topic": "services/#", "action": "both", "permission": "allow",
            "priority": 100, "user": None}
EVENT = {
    "position": 42, "time": T0, "type": "MqttUser.Created",
    "aggregate": {"type": "user", "id": "usr_3kP9sQ2vXy7LmN4b", "name": "agent-01", "version": 1},
    "actor": {"id": "key_9xKq2LmP4rT7vW1z", "name": "Default secret key"},
    "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
    "change": {"name": "agent-01", "rule_set_id": "rs_2bD4fG6hJ8kL0mN2", "metadata": {"site": "lab"}},
}

RESPONSES: Dict[str, Any] = {
    "User": {
        "id": "usr_3kP9sQ2vXy7LmN4b", "username": "agent-01", "mqtt_username": f"agent-01@{ORG}", "org_id": ORG,
        "acl_set": "backend-services", "disabled": False, "metadata": {"site": "lab"},
        "created_at": T0, "updated_at": T0,
    },
    "AclRule": {**RULE, "created_at": T0, "updated_at": T0},
    "RuleSet": {
        "id": "rs_2bD4fG6hJ8kL0mN2", "name": "backend-services", "description": "Services of the backend",
        "rules": [SET_RULE], "users": 3, "created_at": T0, "updated_at": T0,
    },
    "AclDecision": {
        "allowed": True, "matched_rule": RULE, "withheld": [], "source": "organization",
        "reason": "allowed by rule rule_4fTq9ZkQ2mWx7bYc (allow both agents/{username}/#)",
    },
    "ApiKey": {
        "id": "key_7mN3pQ5rS7tU9vW1", "name": "ci", "type": "restricted", "scopes": ["acl:write", "users:write"],
        "expires_at": None, "masked_key": "rk_...a1B2", "status": "active", "last_used_at": T1,
        "created_at": T0, "updated_at": T1,
    },
    "NewApiKey": {
        "id": "key_7mN3pQ5rS7tU9vW1", "name": "ci", "type": "restricted", "scopes": ["acl:write", "users:write"],
        "expires_at": None, "masked_key": "rk_...a1B2", "status": "active", "last_used_at": None,
        "key": "rk_Xy7LmN4b3kP9sQ2vXy7LmN4b3kP9sQ2vXya1B2", "created_at": T0, "updated_at": T0,
    },
    "Organization": {
        "id": ORG, "name": "Default organization", "tenancy": "multi", "created_at": T0,
        "settings": {"default_rule_set": "backend-services"},
        "quotas": {"max_users": 10000, "max_acl_rules": 1000, "max_rule_sets": 100, "max_api_keys": 100,
                   "max_auth_providers": 20, "max_connections": 10000, "messages_per_minute": 60000,
                   "rate_limit_per_minute": 6000},
        "usage": {"users": 12, "acl_rules": 4, "rule_sets": 2, "api_keys": 3, "auth_providers": 1,
                  "connections": 9, "requests_this_minute": 17, "http_messages_this_minute": 2},
    },
    "Session": {
        "session_id": "ses_5tY7uI9oP1aS3dF5", "client_id": "agent-01-main", "username": "agent-01",
        "mqtt_username": f"agent-01@{ORG}", "status": "active", "connected_at": T0, "disconnected_at": None,
        "disconnect_reason": None, "duration_seconds": 300.0, "peer_address": "192.0.2.10",
        "protocol_version": 5, "clean_start": True,
    },
    "TerminateReply": {"username": "agent-01", "sessions_terminated": 2},
    "PublishReply": {"topic": "agents/agent-01/inbox", "qos": 1, "retain": False, "message_id": 17,
                     "acknowledged": True},
    "BatchReply": {"published": 2, "failed": 0, "results": [{"index": 0, "ok": True, "message_id": 18},
                                                           {"index": 1, "ok": True, "message_id": 19}]},
    "AuthProvider": {
        "id": "ap_6gH8jK0lZ2xC4vB6", "name": "auth", "type": "oidc", "issuer": "https://id.example.com",
        "audience": "cloudsignal", "jwks_url": "https://id.example.com/.well-known/jwks.json",
        "user_claim": "sub", "required_claims": [], "acl_set": "browsers", "default_ttl": 3600,
        "max_ttl": 86400, "has_secret": False, "created_at": T0, "updated_at": T0,
    },
    "Credential": {
        "mqtt_username": f"tok_4k9x2m7q1w8e5r3t@{ORG}", "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v",
        "expires_at": "2025-01-31T13:00:00+00:00", "expires_in": 3600, "provider": "auth",
        "user_id": "user-42", "tenancy": "single",
    },
    "Event": EVENT,
    "Access": {
        "at": T0, "allowed": True, "reason": "allowed by rule rule_4fTq9ZkQ2mWx7bYc (allow both agents/{username}/#)",
        "matched_rule": RULE, "withheld": [], "source": "organization", "events": [EVENT],
    },
    "State": {
        "at": T0,
        "users": [{"username": "agent-01", "acl_set": "backend-services", "disabled": False}],
        "rules": [RULE],
        "rule_sets": [{"name": "backend-services", "rules": [SET_RULE]}],
        "api_keys": [{"id": "key_9xKq2LmP4rT7vW1z", "name": "Default secret key", "type": "secret"}],
    },
    "Policy": {
        "rules": [{k: v for k, v in RULE.items() if k != "user"}],
        "rule_sets": [{"name": "backend-services", "description": "Services of the backend",
                       "rules": [{k: v for k, v in SET_RULE.items() if k not in ("id", "user")}]}],
    },
    "PolicyPlan": {
        "dry_run": True, "applied": False, "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
        "created": [{"kind": "rule", "id": None, "rule": {"topic": "alerts/#", "action": "subscribe",
                                                          "permission": "allow", "priority": 100, "user": None}}],
        "changed": [{"kind": "rule_set", "name": "backend-services",
                     "changes": {"description": {"from": "", "to": "Services of the backend"}}}],
        "deleted": [{"kind": "rule", "id": "rule_1aB2cD3eF4gH5iJ6",
                     "rule": {"topic": "legacy/#", "action": "both", "permission": "allow", "priority": 100,
                              "user": None}}],
        "unchanged": 3,
    },
    "WhoAmI": {"key_id": "key_7mN3pQ5rS7tU9vW1", "name": "ci", "type": "restricted",
               "scopes": ["acl:write", "users:write"], "org_id": ORG},
    "Error": {"error": "not_found", "message": "user 'agent-01' not found", "detail": None,
              "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"},
}

REQUESTS: Dict[str, Any] = {
    "users_create": {"username": "agent-01", "password": "secure-password", "metadata": {"site": "lab"}},
    "users_update": {"acl_set": "backend-services", "disabled": False},
    "acl_rules_create": {"topic": "agents/{username}/#", "action": "both", "permission": "allow", "priority": 100},
    "acl_rules_update": {"priority": 50},
    "acl_rule_sets_create": {"name": "backend-services", "description": "Services of the backend",
                             "rules": [{"topic": "services/#", "action": "both", "permission": "allow"}]},
    "acl_rule_sets_update": {"rules": [{"topic": "services/#", "action": "both", "permission": "allow"},
                                       {"topic": "services/secret/#", "action": "both", "permission": "deny"}]},
    "acl_check": {"username": "agent-01", "topic": "agents/agent-01/state", "action": "publish"},
    "acl_policy_apply": {
        "rules": [{"topic": "agents/{username}/#", "action": "both", "permission": "allow", "priority": 100},
                  {"topic": "alerts/#", "action": "subscribe", "permission": "allow"}],
        "rule_sets": [{"name": "backend-services", "description": "Services of the backend",
                       "rules": [{"topic": "services/#", "action": "both", "permission": "allow"}]}],
        "dry_run": True,
    },
    "api_keys_create": {"name": "ci", "type": "restricted", "scopes": ["users:write", "acl:write"]},
    "api_keys_update": {"name": "deploy-bot"},
    "organization_update": {"name": "Acme", "settings": {"default_rule_set": "backend-services"}},
    "publish_message": {"topic": "agents/agent-01/inbox", "payload": {"task": "summarize-thread"}, "qos": 1,
                        "retain": False},
    "publish_batch": {"messages": [{"topic": "agents/agent-01/inbox", "payload": "hello", "qos": 1},
                                   {"topic": "agents/agent-02/inbox", "payload": {"task": "ping"}, "qos": 0}]},
    "auth_providers_create": {"name": "auth", "type": "oidc", "issuer": "https://id.example.com",
                              "audience": "cloudsignal", "jwks_url": "https://id.example.com/.well-known/jwks.json",
                              "acl_set": "browsers"},
    "auth_providers_update": {"default_ttl": 600},
    "tokens_exchange": {"token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJl",
                        "provider": "auth", "ttl": 3600},
    "tokens_create": {"user_id": "device-9", "ttl": 600, "acl_set": "sensors"},
    "tokens_refresh": {"mqtt_username": f"tok_4k9x2m7q1w8e5r3t@{ORG}",
                       "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v"},
}

# Server-Sent Events and other non-JSON bodies, by media type.
TEXT_RESPONSES = {
    "text/event-stream": (
        "id: 42\nevent: MqttUser.Created\n"
        'data: {"position": 42, "type": "MqttUser.Created", "aggregate": {"type": "user", "name": "agent-01"}}\n\n'
    ),
}
