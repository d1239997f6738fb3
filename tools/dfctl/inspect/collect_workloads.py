"""Workloads: pods not ready or restarting, Deployments and StatefulSets short of replicas, and
images that are not the environment's release.

Pods are reported per workload (the Deployment or StatefulSet that owns them), not per pod: a
pod's name changes with every rollout, and a finding's id must not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dfctl.inspect.catalog import RESTART_WARNING, RESTART_WINDOW, finding
from dfctl.inspect.collect_quota import TERMINATED
from dfctl.inspect.findings import Finding, LocalText
from dfctl.render.state import KubeObject

CRASH_LOOP = "CrashLoopBackOff"


def workload_of(pod: dict[str, Any]) -> str:
    """``Deployment/x``, ``StatefulSet/y`` … the workload that owns the pod, else ``Pod/name``."""
    meta = pod.get("metadata") or {}
    for owner in meta.get("ownerReferences") or []:
        kind, name = str(owner.get("kind", "")), str(owner.get("name", ""))
        if kind == "ReplicaSet":
            # a Deployment names its ReplicaSets <deployment>-<pod-template-hash>
            suffix = "-" + str((meta.get("labels") or {}).get("pod-template-hash", ""))
            if suffix != "-" and name.endswith(suffix):
                return f"Deployment/{name.removesuffix(suffix)}"
        if kind and name:
            return f"{kind}/{name}"
    return f"Pod/{meta.get('name', '')}"


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


@dataclass
class _Group:
    pods: int = 0
    not_ready: int = 0
    restarts: int = 0  # of the containers that restarted recently or crash-loop
    restarting: int = 0
    crash_looping: list[str] = field(default_factory=list)


def _time(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def pods(cluster: str, items: Iterable[dict[str, Any]], now: dt.datetime) -> list[Finding]:
    """INS-WORKLOAD-001 (pods not ready) and INS-WORKLOAD-003 (restarting), per workload."""
    groups: dict[tuple[str, str], _Group] = {}
    for pod in items:
        status = pod.get("status") or {}
        if status.get("phase") in TERMINATED:
            continue
        namespace = str((pod.get("metadata") or {}).get("namespace", ""))
        group = groups.setdefault((namespace, workload_of(pod)), _Group())
        group.pods += 1
        group.not_ready += 0 if is_ready(pod) else 1
        statuses = [
            *(status.get("initContainerStatuses") or []),
            *(status.get("containerStatuses") or []),
        ]
        for container in statuses:
            count = int(container.get("restartCount") or 0)
            waiting = ((container.get("state") or {}).get("waiting") or {}).get("reason")
            last = _time(
                ((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            )
            recent = last is not None and now - last <= RESTART_WINDOW
            if waiting == CRASH_LOOP:
                group.crash_looping.append(str(container.get("name", "")))
            if waiting == CRASH_LOOP or (count >= RESTART_WARNING and recent):
                group.restarts += count
                group.restarting += 1
    found: list[Finding] = []
    for (namespace, workload), group in sorted(groups.items()):
        where = f"{cluster}/{namespace} {workload}"
        key = f"{cluster}/{namespace}/{workload}"
        if group.not_ready:
            found.append(
                finding(
                    "INS-WORKLOAD-001",
                    key,
                    "critical" if group.not_ready == group.pods else "warning",
                    where,
                    LocalText(
                        f"{workload} 有 Pod 未就绪", f"{workload} has pods that are not ready"
                    ),
                    f"{group.not_ready} of {group.pods} pods not ready",
                    "0 not ready",
                    LocalText(
                        "查看未就绪 Pod 的事件和日志（调度、镜像拉取、就绪探针），恢复后复查",
                        "Read the events and logs of the unready pods (scheduling, image pulls,"
                        " readiness probe) and inspect again once they recover",
                    ),
                )
            )
        if group.restarting:
            crash = (
                f"; {CRASH_LOOP}: {', '.join(sorted(group.crash_looping))}"
                if group.crash_looping
                else ""
            )
            found.append(
                finding(
                    "INS-WORKLOAD-003",
                    key,
                    "critical" if group.crash_looping else "warning",
                    where,
                    LocalText(
                        f"{workload} 的容器频繁重启", f"Containers of {workload} keep restarting"
                    ),
                    f"{group.restarts} restarts"
                    f" ({group.restarting} container{'' if group.restarting == 1 else 's'}){crash}",
                    f"< {RESTART_WARNING} restarts / 24 h, no {CRASH_LOOP}",
                    LocalText(
                        "查看容器上次退出的原因和日志（内存不足、依赖服务、配置），修复后观察",
                        "Read why the containers last exited and their logs (out of memory,"
                        " a service they depend on, configuration), fix it and watch",
                    ),
                )
            )
    return found


def replicas(cluster: str, items: Iterable[dict[str, Any]]) -> list[Finding]:
    """INS-WORKLOAD-002: Deployments and StatefulSets with fewer available replicas than desired."""
    found: list[Finding] = []
    for item in sorted(items, key=lambda i: (i.get("kind", ""), _meta(i))):
        namespace, name = _meta(item)
        kind = str(item.get("kind", "Deployment"))
        desired = (item.get("spec") or {}).get("replicas")
        desired = 1 if desired is None else int(desired)
        status = item.get("status") or {}
        available = int(status.get("availableReplicas") or 0)
        if available >= desired:
            continue
        found.append(
            finding(
                "INS-WORKLOAD-002",
                f"{cluster}/{namespace}/{kind}/{name}",
                "critical" if available == 0 else "warning",
                f"{cluster}/{namespace} {kind}/{name}",
                LocalText(f"{kind}/{name} 可用副本数不足", f"{kind}/{name} is short of replicas"),
                f"{available} of {desired} available",
                f"= {desired} (desired)",
                LocalText(
                    f"排查 {name} 未就绪的 Pod（事件、日志、资源配额），尽快恢复全部副本",
                    f"Find out why pods of {name} are not available (events, logs, quota) and"
                    " restore every replica",
                ),
            )
        )
    return found


def images(
    cluster: str, deployments: Sequence[dict[str, Any]], desired: Iterable[KubeObject]
) -> list[Finding]:
    """INS-WORKLOAD-004: a workload whose container runs another image than the release's."""
    live = {_meta(d): d for d in deployments}
    found: list[Finding] = []
    for obj in desired:
        if not obj.patch_only or obj.cluster != cluster:
            continue
        current = live.get((obj.namespace, obj.name))
        if current is None:
            continue  # missing: drift says so
        (wanted,) = obj.body["spec"]["template"]["spec"]["containers"]
        containers = ((current.get("spec") or {}).get("template") or {}).get("spec", {}).get(
            "containers"
        ) or []
        running = next(
            (c.get("image") for c in containers if c.get("name") == wanted["name"]), None
        )
        if running is None or running == wanted["image"]:
            continue
        found.append(
            finding(
                "INS-WORKLOAD-004",
                f"{cluster}/{obj.namespace}/Deployment/{obj.name}",
                "warning",
                f"{cluster}/{obj.namespace} Deployment/{obj.name}",
                LocalText(
                    f"{obj.name} 运行的镜像与环境版本不一致",
                    f"{obj.name} runs another image than the environment's release",
                ),
                str(running),
                str(wanted["image"]),
                LocalText(
                    "确认是否有人绕过发布流程更新了镜像；由 dfctl 按已审批的版本恢复，或按流程提交版本变更",
                    "Find out who changed the image outside the release process; let dfctl"
                    " restore the approved release, or change the release through a merge request",
                ),
            )
        )
    return found


def _meta(item: dict[str, Any]) -> tuple[str, str]:
    meta = item.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))
