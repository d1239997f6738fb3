"""Declared-only resources: the TDSQL inventory in the repository, checked against the operating
rules. dfctl has no access to TDSQL's console or API, so every finding here is marked "declared,
not observed": it says what the repository claims, not what runs."""

from __future__ import annotations

from collections.abc import Iterable

from dfctl.inspect.catalog import (
    PRODUCTION,
    TDSQL_BACKUP_DAYS,
    TDSQL_REPLICAS,
    TDSQL_STORAGE_PER_SHARD_GB,
    finding,
)
from dfctl.inspect.findings import Finding, LocalText
from dfctl.model import TdsqlInventory


def tdsql(environment: str, inventories: Iterable[TdsqlInventory]) -> list[Finding]:
    found: list[Finding] = []
    for inventory in inventories:
        if inventory.environment != environment:
            continue
        source = inventory.src.file
        instances = inventory.instances
        found.append(
            finding(
                "INS-TDSQL-001",
                environment,
                "info",
                f"TDSQL inventory {source}",
                LocalText(
                    f"TDSQL 实例 {len(instances)} 个（仅申报，未实测）",
                    f"{len(instances)} TDSQL instances declared (not observed)",
                ),
                f"{len(instances)} instances, {sum(i.cpu for i in instances)} cores,"
                f" {sum(i.memory_gb for i in instances)} GB memory,"
                f" {sum(i.storage_gb for i in instances)} GB storage,"
                f" {sum(i.shards for i in instances)} shards",
                "—",
                LocalText(
                    "在 TDSQL 控制台核对实际规格、备份策略与仓库申报是否一致",
                    "Compare the actual specifications and backup policies in the TDSQL console"
                    " with what the repository declares",
                ),
                observed=False,
            )
        )
        if environment != PRODUCTION:
            continue
        for instance in sorted(instances, key=lambda i: i.id):
            where = f"TDSQL {instance.id} ({instance.name})"
            if instance.backup_retention_days < TDSQL_BACKUP_DAYS:
                found.append(
                    finding(
                        "INS-TDSQL-002",
                        instance.id,
                        "warning",
                        where,
                        LocalText(
                            f"{instance.name} 备份保留天数低于 {TDSQL_BACKUP_DAYS} 天",
                            f"{instance.name} keeps backups for fewer than {TDSQL_BACKUP_DAYS} days",
                        ),
                        f"{instance.backup_retention_days} d",
                        f"≥ {TDSQL_BACKUP_DAYS} d",
                        LocalText(
                            f"将 {source} 中的 backup_retention_days 调整为 {TDSQL_BACKUP_DAYS}，"
                            "并在 TDSQL 控制台核实备份策略",
                            f"Set backup_retention_days to {TDSQL_BACKUP_DAYS} in {source} and"
                            " confirm the backup policy in the TDSQL console",
                        ),
                        observed=False,
                    )
                )
            if instance.replicas_per_shard < TDSQL_REPLICAS:
                found.append(
                    finding(
                        "INS-TDSQL-003",
                        instance.id,
                        "warning",
                        where,
                        LocalText(
                            f"{instance.name} 每个分片副本数少于一主两备",
                            f"{instance.name} has fewer than one primary and two standbys per shard",
                        ),
                        f"{instance.replicas_per_shard} per shard",
                        f"≥ {TDSQL_REPLICAS} per shard",
                        LocalText(
                            "生产库按一主两备部署：在 TDSQL 控制台增加备节点并更新仓库申报",
                            "Run production with one primary and two standbys: add a standby in"
                            " the TDSQL console and update the inventory",
                        ),
                        observed=False,
                    )
                )
            per_shard = instance.storage_gb / instance.shards
            if per_shard > TDSQL_STORAGE_PER_SHARD_GB:
                found.append(
                    finding(
                        "INS-TDSQL-004",
                        instance.id,
                        "warning",
                        where,
                        LocalText(
                            f"{instance.name} 单分片存储超过 {TDSQL_STORAGE_PER_SHARD_GB} GB",
                            f"{instance.name} stores more than {TDSQL_STORAGE_PER_SHARD_GB} GB per shard",
                        ),
                        f"{per_shard:.0f} GB per shard ({instance.storage_gb} GB / {instance.shards})",
                        f"≤ {TDSQL_STORAGE_PER_SHARD_GB} GB per shard",
                        LocalText(
                            "评估增加分片（扩容重分布），避免单分片过大导致备份和重建时间过长",
                            "Plan more shards (redistribution), so that backing up or rebuilding a"
                            " shard does not take too long",
                        ),
                        observed=False,
                    )
                )
    return found
