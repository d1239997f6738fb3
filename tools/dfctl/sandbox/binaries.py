"""Where the control-plane binaries built by tools/controlplane/build.sh are."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dfctl.errors import BinariesMissing

BIN_ENV = "DFCTL_CONTROLPLANE_BIN"
CACHE_ENV = "DFCTL_CONTROLPLANE_CACHE"
NAMES = ("etcd", "kube-apiserver", "kube-controller-manager")
BUILD_HINT = "run `bash tools/controlplane/build.sh` (the first build takes 10-25 minutes)"


@dataclass(frozen=True)
class Binaries:
    folder: Path
    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path

    @property
    def kubernetes_version(self) -> str | None:
        """The release recorded by the build (`v1.36.3`), None when the folder has no VERSION."""
        return self.recorded().get("kubernetes")

    def recorded(self) -> dict[str, str]:
        """The VERSION file's `name=value` lines."""
        try:
            text = (self.folder / "VERSION").read_text(encoding="utf-8")
        except OSError:
            return {}
        pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
        return {k.strip(): v.strip() for k, v in pairs}


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    given = env.get(CACHE_ENV)
    return Path(given) if given else Path.home() / ".cache" / "dfctl" / "controlplane"


def _release_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", folder.name))


def _in(folder: Path) -> Binaries | None:
    paths = [folder / name for name in NAMES]
    if not all(p.is_file() and os.access(p, os.X_OK) for p in paths):
        return None
    return Binaries(folder, *paths)


def find_binaries(env: Mapping[str, str] | None = None) -> Binaries:
    """$DFCTL_CONTROLPLANE_BIN, else the newest release folder in the build script's cache."""
    env = os.environ if env is None else env
    given = env.get(BIN_ENV)
    if given:
        found = _in(Path(given))
        if found is None:
            raise BinariesMissing(
                f"{BIN_ENV}={given} does not hold executable {', '.join(NAMES)}; {BUILD_HINT}"
            )
        return found
    root = cache_root(env)
    releases = [
        p for p in root.glob("v*") if p.is_dir() and re.fullmatch(r"v\d+\.\d+\.\d+", p.name)
    ]
    for folder in sorted(releases, key=_release_key, reverse=True):
        found = _in(folder)
        if found is not None:
            return found
    raise BinariesMissing(
        f"no control-plane binaries ({', '.join(NAMES)}) in {root}; {BUILD_HINT}, "
        f"or set {BIN_ENV} to a folder holding them"
    )
