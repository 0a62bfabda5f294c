"""What a publish needs the API key to be allowed to do, checked before its first write."""

from __future__ import annotations

from publisher.errors import RemoteError
from publisher.plain import ForbiddenError, GraphQLResponseError, PlainClient
from publisher.sync.plan import Plan, index_drops

READ = "helpCenter:read"
EDIT = "helpCenter:edit"
UPLOAD = "workspaceFile:create"

#: Where a person gives a key its permissions (Plain's authentication guide: "Click 'Add API
#: Key' and select the permissions you need").
WHERE_TO_ADD = (
    "in Plain, Settings → Machine users → the machine user of this key → Add API key, with "
    "these permissions ticked; then put the new key in the key variable"
)


class MissingPermissionError(RemoteError):
    """The key lacks a permission the publish needs; raised before anything is written."""

    def __init__(self, missing: dict[str, str]) -> None:
        self.missing = missing
        needs = "; ".join(f"{name} (for {why})" for name, why in missing.items())
        super().__init__(
            f"the API key lacks {needs}. Nothing was written. Make a key with "
            f"{', '.join(sorted({READ, EDIT, *missing}))} {WHERE_TO_ADD}"
        )


def required_permissions(plan: Plan, *, prune: bool) -> dict[str, str]:
    """Permission -> what in this plan needs it."""
    needed = {READ: "reading the help center"}
    deletes = prune and bool(plan.orphan_articles or plan.orphan_groups)
    if plan.has_changes or deletes or index_drops(plan, prune=prune):
        needed[EDIT] = "writing articles, groups and the navigation"
    if plan.uploads:
        count = len(plan.uploads)
        needed[UPLOAD] = f"uploading {count} image{'s' if count != 1 else ''}"
    return needed


def granted_permissions(client: PlainClient) -> frozenset[str] | None:
    """The key's permissions, or None when Plain would not say (then writes find out)."""
    try:
        return client.my_permissions()
    except (ForbiddenError, GraphQLResponseError):
        return None
