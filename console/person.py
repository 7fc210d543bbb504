"""The person behind a command: signed in at the OIDC provider (console/login.py), proven by the token
(les/oidc.py), and what the roster says of them (console/roster.py). People's tools reach Temporal
through the codec servers with that token (les/remote_codec.py) and hold no payload key."""

from __future__ import annotations

from dataclasses import dataclass

from les.config import Settings
from les.remote_codec import RemoteCodec


class NotPermitted(Exception):
    """The signed-in person may not do this; the message says who they are and what is missing."""


@dataclass(frozen=True)
class Person:
    subject: str
    token: str
    active: bool
    roles: frozenset[str]

    def holds(self, role: str) -> bool:
        return self.active and role in self.roles

    @property
    def cleared(self) -> bool:
        return self.holds("cleared")


def signed_in(settings: Settings) -> Person:
    """The person signed in on this machine, their token checked against the provider's keys
    (NotSignedIn, TokenRefused, ProviderUnreachable as console/login and les/oidc raise them)."""
    from console.login import current_token
    from console.roster import roster_lookup
    from les.oidc import OidcSettings, TokenVerifier

    oidc = OidcSettings.from_env()
    token = current_token(settings.state_dir, oidc)
    subject = TokenVerifier(oidc).verify(token).subject
    entry = roster_lookup(settings.database_url)(subject)
    active, roles = (entry[0], frozenset(entry[1])) if entry else (False, frozenset())
    return Person(subject=subject, token=token, active=active, roles=roles)


def require(person: Person, role: str, doing: str) -> Person:
    """`person` when active and holding `role`; NotPermitted saying so otherwise."""
    if not person.holds(role):
        held = ", ".join(sorted(person.roles)) or "none"
        state = "" if person.active else ", inactive"
        raise NotPermitted(f"{doing} needs a signed-in {role}; {person.subject} holds {held}{state} "
                           "(`starter.py login USER` to sign in as someone else)")
    return person


def codec_for(settings: Settings, person: Person) -> RemoteCodec:
    """The codec servers, as this person."""
    return RemoteCodec(settings.codec_url, settings.cleared_codec_url, person.token, ca_file=settings.codec_ca_file)
