"""Rules for systems integrated into the unified portal (统一门户): how users sign in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import Namespace, PortalSystem

PORTAL_DOMAIN = "portal"


def _is_the_portal(system: PortalSystem, domains: Mapping[str, str]) -> bool:
    """The unified portal itself runs in the portal domain's namespaces: it is the OAuth2
    provider the other systems are clients of."""
    return any(domains.get(name) == PORTAL_DOMAIN for name in system.network.namespaces.values())


@repo_rule("DFP-PRT-001", Severity.ERROR)
def platform_systems_use_sso(ctx: CheckContext) -> Iterator[Finding]:
    """A platform system (part of 数字财政) signs users in through the portal's single sign-on.

    sso is oauth2, cas or saml2; "none" would give the system accounts and passwords of its
    own, outside the portal's control. Integrated systems (another department's) may have none.

    Passing:
        id: budget-mgmt
        category: platform
        sso: oauth2
        client_secret: secret://portal/sso/budget-mgmt

    Failing:
        id: budget-mgmt
        category: platform
        sso: none
    """
    for system in ctx.repo.of(PortalSystem):
        if system.category == "platform" and system.sso == "none":
            yield Finding(
                system,
                "sso",
                f"platform system {system.id} has sso: none; a part of 数字财政 signs users in "
                "through the portal (oauth2, cas or saml2)",
            )


@repo_rule("DFP-PRT-002", Severity.ERROR)
def oauth2_has_client_secret(ctx: CheckContext) -> Iterator[Finding]:
    """A system that signs in with OAuth2 names its client secret, as a secret:// reference.

    Without it the portal cannot exchange the system's authorisation codes; the secret itself
    stays in the secret store (the model accepts only secret:// references). The unified portal
    itself, running in the portal domain's namespaces, is the provider and has none.

    Passing:
        sso: oauth2
        client_secret: secret://portal/sso/treasury-payment

    Failing:
        sso: oauth2                # and no client_secret
    """
    domains = {namespace.name: namespace.domain for namespace in ctx.repo.of(Namespace)}
    for system in ctx.repo.of(PortalSystem):
        if system.sso != "oauth2" or system.client_secret is not None:
            continue
        if not _is_the_portal(system, domains):
            yield Finding(
                system,
                "sso",
                f"{system.id} signs in with oauth2 but names no client_secret; add "
                "client_secret: secret://<store>/<path>",
            )


RULES = (platform_systems_use_sso, oauth2_has_client_secret)
