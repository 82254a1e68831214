"""Service configuration from the environment."""

from typing import Dict, List, Mapping, TypedDict

from events.application import DEFAULT_QUOTAS

TENANCIES = ("single", "multi")
ROLES = ("public", "internal", "stream")


class ConfigError(ValueError):
    pass


class Config(TypedDict):
    """The Flask settings load_config() makes (app.config holds them besides Flask's own)."""

    TENANCY: str
    ROLE: str
    BROKER_SECRET: str
    INTERNAL_USERNAME: str
    BROKER_HOST: str
    BROKER_PORT: int
    RATELIMIT_STORAGE: str
    TRUSTED_PROXIES: int
    CORS_ORIGINS: List[str]
    MAX_CONTENT_LENGTH: int
    API_TITLE: str
    API_VERSION: str
    OPENAPI_VERSION: str
    OPENAPI_URL_PREFIX: str
    OPENAPI_JSON_PATH: str


def load_config(environ: Mapping[str, str]) -> Config:
    tenancy = environ.get("CLOUDSIGNAL_TENANCY", "single")
    if tenancy not in TENANCIES:
        raise ConfigError(f"CLOUDSIGNAL_TENANCY must be one of {', '.join(TENANCIES)}, not {tenancy!r}")
    role = environ.get("CLOUDSIGNAL_ROLE", "public")
    if role not in ROLES:
        raise ConfigError(f"CLOUDSIGNAL_ROLE must be one of {', '.join(ROLES)}, not {role!r}")
    return {
        "TENANCY": tenancy,
        "ROLE": role,
        "BROKER_SECRET": broker_secret(environ),
        "INTERNAL_USERNAME": environ.get("CLOUDSIGNAL_INTERNAL_USERNAME", "cloudsignal-internal"),
        "BROKER_HOST": environ.get("CLOUDSIGNAL_BROKER_HOST", "127.0.0.1"),
        "BROKER_PORT": int(environ.get("CLOUDSIGNAL_BROKER_PORT", "1883")),
        "RATELIMIT_STORAGE": environ.get("CLOUDSIGNAL_RATELIMIT_STORAGE", "memory://"),
        # How many reverse proxies in front of the service append to X-Forwarded-For (the edge: 1).
        # 0: the client address is the TCP peer's; never more than the proxies really there, or
        # clients could choose the address the logs show.
        "TRUSTED_PROXIES": int(environ.get("CLOUDSIGNAL_TRUSTED_PROXIES", "0") or 0),
        "CORS_ORIGINS": [o.strip() for o in environ.get("CLOUDSIGNAL_CORS_ORIGINS", "*").split(",") if o.strip()],
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "API_TITLE": "CloudSignal API",
        "API_VERSION": "v2",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/v2",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def domain_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """The settings the domain application reads (quota defaults, which depend on the tenancy),
    besides persistence."""
    names = {f"CLOUDSIGNAL_{quota.upper()}" for quota in DEFAULT_QUOTAS} | {"CLOUDSIGNAL_TENANCY"}
    return {name: value for name, value in environ.items() if name in names}


def broker_secret(environ: Mapping[str, str]) -> str:
    """The secret shared with the broker plugin; empty when the broker is not integrated."""
    path = environ.get("CLOUDSIGNAL_BROKER_SECRET_FILE")
    if path:
        try:
            with open(path) as file:
                return file.read().strip()
        except OSError as error:
            raise ConfigError(f"cannot read CLOUDSIGNAL_BROKER_SECRET_FILE: {error}") from None
    return environ.get("CLOUDSIGNAL_BROKER_SECRET", "")
