"""What expires: approved access policies (from the repository) and the certificates dfctl is
given to reach the clusters and the configuration service (kubeconfig CA and client
certificates, the etcd CA and client certificate)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from dfctl.clock import SHANGHAI
from dfctl.inspect.catalog import expiry_severity, expiry_threshold, finding
from dfctl.inspect.findings import Finding, LocalText
from dfctl.model import AccessPolicy


def _days(left: dt.timedelta) -> int:
    """Whole days left, rounded down; -1 and below once it has passed."""
    return math.floor(left.total_seconds() / 86400)


def access_policies(
    environment: str, policies: Iterable[AccessPolicy], today: dt.date
) -> list[Finding]:
    """INS-ACCESS-001: the environment's access policies expired or expiring within 90 days."""
    found: list[Finding] = []
    for policy in sorted(policies, key=lambda p: p.id):
        if policy.environment != environment or policy.expires_on is None:
            continue
        days = (policy.expires_on - today).days
        severity = expiry_severity(days)
        if severity is None:
            continue
        when = "expired" if days < 0 else f"{days} d"
        found.append(
            finding(
                "INS-ACCESS-001",
                policy.id,
                severity,
                f"AccessPolicy {policy.id} ({policy.title})",
                LocalText(
                    f"访问策略 {policy.id} {'已于' if days < 0 else '将于'} {policy.expires_on} 到期",
                    f"Access policy {policy.id} {'expired' if days < 0 else 'expires'} on"
                    f" {policy.expires_on}",
                ),
                f"{when} ({policy.expires_on})",
                expiry_threshold(severity),
                LocalText(
                    f"如仍需该网络通路，由 {policy.requested_by} 提交续期申请并经 {policy.approver}"
                    f" 审批后更新 expires_on；不再需要则删除该策略",
                    f"If the path is still needed, have {policy.requested_by} request a renewal,"
                    f" approved by {policy.approver}, and update expires_on; otherwise remove the"
                    " policy",
                ),
            )
        )
    return found


@dataclass(frozen=True)
class CertificateSource:
    """Certificates dfctl was given: ``where`` (``tke-prod-a`` or ``configuration service``)
    and ``role`` (``CA``, ``client certificate``), as PEM."""

    where: str
    role: str
    pem: bytes


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def certificates(sources: Iterable[CertificateSource], now: dt.datetime) -> list[Finding]:
    """INS-CERT-001: certificates expired or expiring within 90 days (each certificate of a
    bundle on its own)."""
    found: dict[str, Finding] = {}
    for source in sources:
        if not source.pem.strip():
            continue
        try:
            bundle = x509.load_pem_x509_certificates(source.pem)
        except ValueError:
            continue  # not PEM certificates: the connection itself reports what is wrong
        for cert in bundle:
            expires = cert.not_valid_after_utc
            days = _days(expires - now)
            severity = expiry_severity(days)
            if severity is None:
                continue
            name = _common_name(cert) or f"serial {cert.serial_number:x}"
            key = f"{source.where}/{source.role}/{name}"
            day = expires.astimezone(SHANGHAI).date()
            when = "expired" if days < 0 else f"{days} d"
            found[key] = finding(
                "INS-CERT-001",
                key,
                severity,
                f"{source.where} {source.role} CN={name}",
                LocalText(
                    f"{source.where} 的{_ROLE_ZH.get(source.role, source.role)} {name}"
                    f" {'已于' if days < 0 else '将于'} {day} 到期",
                    f"{source.role[0].upper()}{source.role[1:]} {name} of {source.where}"
                    f" {'expired' if days < 0 else 'expires'} on {day}",
                ),
                f"{when} ({day})",
                expiry_threshold(severity),
                LocalText(
                    "向证书签发方申请续签，在变更窗口内更新 kubeconfig 或配置中心证书（Secret），"
                    "更新后复查",
                    "Have the certificate renewed by its issuer, replace it in the kubeconfig or"
                    " the configuration service's Secret in a change window, then inspect again",
                ),
            )
    return [found[key] for key in sorted(found)]


_ROLE_ZH = {"CA": "CA 证书", "client certificate": "客户端证书"}
