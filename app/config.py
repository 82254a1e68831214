"""Service configuration from the environment."""

from typing import Any, Dict, Mapping

TENANCIES = ("single", "multi")


class ConfigError(ValueError):
    pass


def load_config(environ: Mapping[str, str]) -> Dict[str, Any]:
    tenancy = environ.get("CLOUDSIGNAL_TENANCY", "single")
    if tenancy not in TENANCIES:
        raise ConfigError(f"CLOUDSIGNAL_TENANCY must be one of {', '.join(TENANCIES)}, not {tenancy!r}")
    return {
        "TENANCY": tenancy,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "API_TITLE": "CloudSignal API",
        "API_VERSION": "v2",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/v2",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def domain_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """The settings the domain application reads (quota defaults), besides persistence."""
    return {name: value for name, value in environ.items() if name.startswith("CLOUDSIGNAL_MAX_")}
