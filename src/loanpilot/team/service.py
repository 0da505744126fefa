"""Team reads for the console and API: the staff list and the org chart, within the caller's scope.

A branch head (scope BRANCH) sees the staff and org units of their branch and the branches below
it; every other role that may read staff sees the whole bank.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.team import repository
from loanpilot.team.models import Branch
from loanpilot.team.repository import STAFF_SORTS, STAFF_TIE_BREAKER, OrgUnitRow, StaffFilters

#: Sort keys the staff list accepts (``-key`` for descending).
STAFF_SORT_KEYS: tuple[str, ...] = tuple(STAFF_SORTS)
STAFF_DEFAULT_SORT = "employee_no"

__all__ = [
    "STAFF_DEFAULT_SORT",
    "STAFF_SORTS",
    "STAFF_SORT_KEYS",
    "STAFF_TIE_BREAKER",
    "BranchNode",
    "OrgUnitNode",
    "StaffFilters",
    "branch_choices",
    "build_tree",
    "org_tree",
    "staff_query",
    "visible_branch_ids",
]


def visible_branch_ids(principal: Principal) -> frozenset[int] | None:
    """The branches whose staff ``principal`` may see; None for the whole bank."""
    if principal.scope is ScopeKind.BRANCH:
        return principal.branch_ids
    return None


def staff_query(principal: Principal, filters: StaffFilters) -> Select[*tuple[Any, ...]]:
    """The staff list's query, limited to the caller's branches (the entry point pages it with
    ``STAFF_SORTS`` and ``STAFF_TIE_BREAKER``)."""
    return repository.staff_query(replace(filters, branch_ids=visible_branch_ids(principal)))


def branch_choices(session: Session, principal: Principal) -> list[Branch]:
    """The branches the caller may filter the staff list by."""
    return repository.branches(session, visible_branch_ids(principal))


@dataclass
class OrgUnitNode:
    unit: OrgUnitRow
    children: list[OrgUnitNode] = field(default_factory=list)


@dataclass
class BranchNode:
    branch: Branch
    headcount: int
    org_units: list[OrgUnitNode] = field(default_factory=list)
    children: list[BranchNode] = field(default_factory=list)


def _unit_forest(units: list[OrgUnitRow]) -> dict[int, list[OrgUnitNode]]:
    """Org units nested under their parent unit, grouped by branch (top-level units only)."""
    nodes = {unit.id: OrgUnitNode(unit) for unit in units}
    by_branch: dict[int, list[OrgUnitNode]] = {}
    for unit in units:
        node = nodes[unit.id]
        parent = nodes.get(unit.parent_id) if unit.parent_id is not None else None
        if parent is not None and parent.unit.branch_id == unit.branch_id:
            parent.children.append(node)
        else:
            by_branch.setdefault(unit.branch_id, []).append(node)
    return by_branch


def build_tree(
    branches: list[Branch], units: list[OrgUnitRow], headcounts: dict[int, int]
) -> list[BranchNode]:
    """Branches nested head office → branches → sub-branches, each with its org units. A branch
    whose parent is not among ``branches`` becomes a root (a branch head's own branch)."""
    forest = _unit_forest(units)
    nodes = {b.id: BranchNode(b, headcounts.get(b.id, 0), forest.get(b.id, [])) for b in branches}
    roots: list[BranchNode] = []
    for branch in branches:
        node = nodes[branch.id]
        parent = nodes.get(branch.parent_id) if branch.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def org_tree(session: Session, principal: Principal) -> list[BranchNode]:
    """The org chart the caller may see."""
    scope: Collection[int] | None = visible_branch_ids(principal)
    return build_tree(
        repository.branches(session, scope),
        repository.org_units(session, scope),
        repository.branch_headcounts(session, scope),
    )
