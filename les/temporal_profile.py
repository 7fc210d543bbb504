"""Temporal connection profiles (`temporalio.envconfig`): where the cluster is and how to reach it.

A deployment points LES at a production Temporal cluster or Temporal Cloud without code changes:
a TOML profile file (`TEMPORAL_CONFIG_FILE`, else the SDK's default location
`~/.config/temporalio/temporal.toml`), the profile in it (`TEMPORAL_PROFILE`, default `default`),
and the SDK's own variables over it (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
`TEMPORAL_TLS`, `TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH`,
`TEMPORAL_TLS_SERVER_CA_CERT_PATH`, `TEMPORAL_TLS_SERVER_NAME`, ...).

Precedence, lowest to highest: the built-in defaults (`localhost:7233`, namespace `default`),
the profile file, the `TEMPORAL_*` variables, then our explicit `LES_TEMPORAL_ADDRESS` /
`LES_TEMPORAL_NAMESPACE` (les/config.py). TLS, API key and gRPC metadata come from the profile
only. A profile that cannot be loaded is not an error until something connects: then
`les.temporal.connect` says why in one line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.envconfig import ClientConfigProfile

DEFAULT_PROFILE = "default"


class ProfileError(Exception):
    """The Temporal connection profile cannot be used (one line, for the user)."""


@dataclass(frozen=True)
class TemporalProfile:
    """The connection profile this process loaded, or why it could not be loaded."""

    name: str
    """The profile's name (TEMPORAL_PROFILE, or `default`)."""
    source: str
    """Where it came from, for messages: the file named by TEMPORAL_CONFIG_FILE or the default location."""
    profile: ClientConfigProfile | None = None
    error: str | None = None

    @property
    def address(self) -> str | None:
        return self.profile.address if self.profile is not None else None

    @property
    def namespace(self) -> str | None:
        return self.profile.namespace if self.profile is not None else None

    def describe(self) -> str:
        return f"profile '{self.name}' of {self.source}"

    def connect_options(self) -> dict[str, Any]:
        """`Client.connect` keyword arguments for TLS, API key and gRPC metadata (address and
        namespace are the caller's: Settings has already resolved them); certificate files are
        read here, so a missing one is a clear error."""
        if self.error is not None:
            raise ProfileError(self.error)
        if self.profile is None:
            return {}
        try:
            config = dict(self.profile.to_client_connect_config())
        except OSError as err:
            raise ProfileError(
                f"Temporal {self.describe()}: cannot read the TLS file {err.filename}: {err.strerror}"
            ) from None
        config.pop("target_host", None)
        config.pop("namespace", None)
        return config


def load_temporal_profile(environ: Mapping[str, str]) -> TemporalProfile:
    """The profile named by the environment (never raises: a failure is kept in `.error`)."""
    name = environ.get("TEMPORAL_PROFILE") or DEFAULT_PROFILE
    config_file = environ.get("TEMPORAL_CONFIG_FILE")
    source = config_file or "the default Temporal config file (~/.config/temporalio/temporal.toml)"
    if config_file:
        # The SDK treats a missing file as an empty one; a file the operator named must exist.
        try:
            with open(config_file, "rb"):
                pass
        except OSError as err:
            reason = "it is a folder" if Path(config_file).is_dir() else err.strerror
            return TemporalProfile(name, source, error=f"TEMPORAL_CONFIG_FILE {config_file}: cannot read it ({reason})")
    try:
        profile = ClientConfigProfile.load(profile=environ.get("TEMPORAL_PROFILE"),
                                           override_env_vars=dict(environ))
    except Exception as err:  # the SDK's bridge raises its own ConfigError (a RuntimeError); say it in one line
        message = " ".join(str(err).split()) or type(err).__name__
        return TemporalProfile(name, source, error=f"Temporal connection profile '{name}' ({source}): {message}")
    return TemporalProfile(name, source, profile=profile)
