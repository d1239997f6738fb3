"""Real git histories the way GitLab writes them: a branch per merge request, merged into main with
`git merge --no-ff` and a merge commit whose message carries the `Approved-by:` trailers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.content import PROJECT


@dataclass(frozen=True)
class Who:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# members of the repository's approvals.yaml
ZHENG = Who("郑国栋", "zheng.guodong@xx.gov.example")  # city-finance-bureau
LIN = Who("林素芬", "lin.sufen@xx.gov.example")  # city-finance-bureau
ZHOU = Who("周晓峰", "zhou.xiaofeng@xx.gov.example")  # ops-lead
XIE = Who("谢宏伟", "xie.hongwei@xx.gov.example")  # ops-lead
DENG = Who("邓佳慧", "deng.jiahui@xx.gov.example")  # ops-lead
XU = Who("许文涛", "xu.wentao@xx.gov.example")  # province-team
CHEN = Who("陈志刚", "chen.zhigang@xx.gov.example")  # security
WU = Who("吴海燕", "wu.haiyan@xx.gov.example")  # platform-ops
JIANG = Who("蒋晨阳", "jiang.chenyang@xx.gov.example")  # platform-ops
# in no group
LI = Who("李明", "liming@xx.gov.example")
MERGER = Who("GitLab", "gitlab@xx.gov.example")


def git(cwd: Path, *args: str, who: Who | None = None, committer: Who | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for role, person in (("AUTHOR", who), ("COMMITTER", committer or who)):
        if person is not None:
            env[f"GIT_{role}_NAME"] = person.name
            env[f"GIT_{role}_EMAIL"] = person.email
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def git_bytes(cwd: Path, *args: str, stdin: bytes = b"", who: Who | None = None) -> str:
    """git with raw bytes on stdin (a hostile message, a literal object), as a committer can."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    if who is not None:
        for role in ("AUTHOR", "COMMITTER"):
            env[f"GIT_{role}_NAME"] = who.name
            env[f"GIT_{role}_EMAIL"] = who.email
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr!r}")
    return done.stdout.decode().strip()


def literal_commit(
    cwd: Path,
    tree: str,
    parents: Sequence[str],
    who: Who | tuple[bytes, bytes],
    message: bytes,
    when: int = 1764000000,
) -> str:
    """A commit object exactly as given (any bytes in names and message), stored without git's
    own checks; ``who`` is author and committer."""
    name, email = (who.name.encode(), who.email.encode()) if isinstance(who, Who) else who
    raw = b"tree " + tree.encode() + b"\n"
    raw += b"".join(b"parent " + p.encode() + b"\n" for p in parents)
    for role in (b"author", b"committer"):
        raw += role + b" " + name + b" <" + email + b"> " + str(when).encode() + b" +0800\n"
    raw += b"\n" + message
    return git_bytes(cwd, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", stdin=raw)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class Main:
    """A repository whose main branch only moves by merge requests (unless a test pushes)."""

    def __init__(self, path: Path, files: Sequence[str] | None = None) -> None:
        """``files``: repository paths to copy from this project (default: approvals.yaml)."""
        self.path = path
        self.count = 0
        path.mkdir(parents=True, exist_ok=True)
        for name in files or ["approvals.yaml"]:
            source = PROJECT / name
            if source.is_dir():
                shutil.copytree(source, path / name)
            else:
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path / name)
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "commit.gpgsign", "false")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "初始化配置仓库", who=MERGER)
        self.root = self.head

    @property
    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def merge_request(
        self,
        title: str,
        change: Callable[[Path], None],
        author: Who,
        approvers: Sequence[Who],
        *,
        break_glass: str | None = None,
        co_authors: Sequence[Who] = (),
        sign_with: Path | None = None,
        extra_trailers: Sequence[str] = (),
        author_key: Path | None = None,
        merger: Who = MERGER,
        in_merge: Callable[[Path], None] | None = None,
        branch_from: str = "main",
    ) -> str:
        """Branch off main (or ``branch_from``), commit ``change`` as ``author`` (signed with
        ``author_key`` when given), merge it with GitLab's message as ``merger`` (signed with
        ``sign_with``). ``in_merge`` changes files in the merge commit itself, as an "evil
        merge" does; a conflict is resolved by taking the branch's side."""
        self.count += 1
        branch = f"mr-{self.count}"
        git(self.path, "checkout", "-q", "-b", branch, branch_from)
        change(self.path)
        git(self.path, "add", "-A")
        body = "".join(f"\n\nCo-authored-by: {c}" for c in co_authors)
        git(
            self.path,
            *_signing(author_key),
            "commit",
            "-q",
            *(["-S"] if author_key else []),
            "-m",
            f"{title}{body}",
            who=author,
        )
        git(self.path, "checkout", "-q", "main")
        trailers = [
            *(f"Approved-by: {a}" for a in approvers),
            *([f"Break-glass: {break_glass}"] if break_glass else []),
            *extra_trailers,
        ]
        message = (
            f"Merge branch '{branch}' into 'main'\n\n{title}\n\n"
            f"See merge request dfp/config!{100 + self.count}\n\n" + "\n".join(trailers) + "\n"
        )
        sign = ["-S"] if sign_with else ["--no-gpg-sign"]
        if in_merge is None and branch_from == "main":
            git(
                self.path,
                *_signing(sign_with),
                "merge",
                "-q",
                "--no-ff",
                *sign,
                "-m",
                message,
                branch,
                who=merger,
            )
            return self.head
        merging = ["merge", "-q", "--no-ff", "--no-commit", "-X", "theirs", branch]
        git(self.path, *merging, who=merger)
        if in_merge is not None:
            in_merge(self.path)
        git(self.path, "add", "-A")
        git(self.path, *_signing(sign_with), "commit", "-q", *sign, "-m", message, who=merger)
        return self.head

    def raw_merge(
        self, change: Callable[[Path], None], author: Who, message: bytes, merger: Who = MERGER
    ) -> str:
        """A merge request whose merge commit carries ``message`` byte for byte: the branch's
        commit is made by ``author``; the merge commit object is written as it is (``git
        hash-object --literally``: git's own commands would re-encode or strip bytes) and main
        is moved to it."""
        self.count += 1
        branch = f"mr-{self.count}"
        base = self.head
        git(self.path, "checkout", "-q", "-b", branch, "main")
        change(self.path)
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", f"mr-{self.count}", who=author)
        tip = git(self.path, "rev-parse", "HEAD")
        git(self.path, "checkout", "-q", "main")
        tree = git(self.path, "rev-parse", f"{tip}^{{tree}}")  # main has not moved since
        merge = literal_commit(self.path, tree, [base, tip], merger, message)
        git(self.path, "update-ref", "refs/heads/main", merge)
        git(self.path, "reset", "-q", "--hard", "main")
        return merge

    def push(self, title: str, change: Callable[[Path], None], author: Who) -> str:
        """A commit straight on main, as someone with push rights would make it."""
        change(self.path)
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", title, who=author)
        return self.head


def _signing(key: Path | None) -> list[str]:
    return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []


def ssh_key(folder: Path, name: str) -> tuple[Path, str]:
    """A fresh ed25519 key pair: (private key file, public key as `type base64`)."""
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    kind, data, *_ = key.with_suffix(".pub").read_text().split()
    return key, f"{kind} {data}"
