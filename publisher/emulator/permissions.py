"""API-key permissions: which key may run which operation, as Plain's reference states it.

Sources (www.plain.com/docs): the help-center guide (graphql/help-center) says its mutations
need ``helpCenter:edit`` and its read queries ``helpCenter:read``; the reference pages of
``createWorkspaceFileUploadUrl`` and ``deleteWorkspaceFile`` both say "Requires the
`workspaceFile:create` permission". The page of ``createWorkspaceFileDownloadUrl`` names no
permission: the emulator assumes the careful case, ``workspaceFile:read``. ``myPermissions``
and ``myMachineUser`` name none either; they need no permission (a key may always ask what it
may do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

HELP_CENTER_READ = "helpCenter:read"
HELP_CENTER_EDIT = "helpCenter:edit"
WORKSPACE_FILE_CREATE = "workspaceFile:create"
WORKSPACE_FILE_READ = "workspaceFile:read"
WORKSPACE_FILE_DELETE = "workspaceFile:delete"

#: What a key has unless ``--key-permissions`` names its set. ``workspaceFile:delete`` is in
#: it for a key that Plain's app would give "all file rights", though no operation the
#: emulator serves needs it (``deleteWorkspaceFile`` needs ``workspaceFile:create``).
DEFAULT_PERMISSIONS = frozenset(
    {
        HELP_CENTER_READ,
        HELP_CENTER_EDIT,
        WORKSPACE_FILE_CREATE,
        WORKSPACE_FILE_READ,
        WORKSPACE_FILE_DELETE,
    }
)

_HELP_CENTER_QUERIES = (
    "helpCenters",
    "helpCenter",
    "helpCenterArticle",
    "helpCenterArticleGroup",
    "helpCenterIndex",
    "helpCenterArticleBySlug",
    "helpCenterArticleGroupBySlug",
)
_HELP_CENTER_MUTATIONS = (
    "upsertHelpCenterArticle",
    "deleteHelpCenterArticle",
    "createHelpCenterArticleGroup",
    "updateHelpCenterArticleGroup",
    "deleteHelpCenterArticleGroup",
    "updateHelpCenterIndex",
)

#: The permission each root field needs; a root field not listed needs none.
QUERY_PERMISSIONS: Mapping[str, str] = {name: HELP_CENTER_READ for name in _HELP_CENTER_QUERIES}
MUTATION_PERMISSIONS: Mapping[str, str] = {
    **{name: HELP_CENTER_EDIT for name in _HELP_CENTER_MUTATIONS},
    "createWorkspaceFileUploadUrl": WORKSPACE_FILE_CREATE,
    "deleteWorkspaceFile": WORKSPACE_FILE_CREATE,  # sic: the reference page says so
    "createWorkspaceFileDownloadUrl": WORKSPACE_FILE_READ,  # assumption: the page is silent
}

_PERMISSION = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z][A-Za-z0-9_.-]*")


def missing_message(permission: str) -> str:
    return f"Missing permission: {permission}"


def parse_key_permissions(text: str) -> tuple[str, frozenset[str]]:
    """Read ``KEY=PERM,PERM`` (an empty list after ``=`` gives the key no permission)."""
    key, equals, perms = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise ValueError(f"expected KEY=PERMISSION[,PERMISSION...], got {text!r}")
    found = set()
    for raw in perms.split(","):
        name = raw.strip()
        if not name:
            continue
        if not _PERMISSION.fullmatch(name):
            raise ValueError(f"{name!r} is not a permission name like helpCenter:read")
        found.add(name)
    return key, frozenset(found)


def describe(permissions: Iterable[str]) -> str:
    return ",".join(sorted(permissions)) or "(none)"
