"""The org chart's nesting (pure): branches under their parents, org units under theirs."""

from __future__ import annotations

from loanpilot.team.models import Branch, BranchLevel
from loanpilot.team.repository import OrgUnitRow
from loanpilot.team.service import build_tree


def _branch(id_: int, parent: int | None, level: BranchLevel) -> Branch:
    return Branch(id=id_, code=f"B{id_}", name=f"branch {id_}", level=level, parent_id=parent)


def _unit(id_: int, branch: int, parent: int | None = None, headcount: int = 3) -> OrgUnitRow:
    return OrgUnitRow(
        id=id_,
        code=f"U{id_}",
        name=f"unit {id_}",
        kind="sales_team",
        branch_id=branch,
        parent_id=parent,
        head_staff_id=None,
        head_name=None,
        headcount=headcount,
    )


def test_branches_nest_head_office_branch_sub_branch_with_units() -> None:
    branches = [
        _branch(1, None, BranchLevel.HEAD_OFFICE),
        _branch(2, 1, BranchLevel.BRANCH),
        _branch(3, 2, BranchLevel.SUB_BRANCH),
        _branch(4, 2, BranchLevel.SUB_BRANCH),
    ]
    units = [_unit(10, 1), _unit(11, 1, parent=10), _unit(12, 3)]
    tree = build_tree(branches, units, {1: 5, 3: 2})
    assert [n.branch.id for n in tree] == [1]
    head_office = tree[0]
    assert head_office.headcount == 5
    assert [u.unit.id for u in head_office.org_units] == [10]
    assert [u.unit.id for u in head_office.org_units[0].children] == [11]
    assert [c.branch.id for c in head_office.children] == [2]
    city = head_office.children[0]
    assert city.headcount == 0
    assert [c.branch.id for c in city.children] == [3, 4]
    assert [u.unit.id for u in city.children[0].org_units] == [12]


def test_a_branch_heads_subtree_has_their_branch_as_its_root() -> None:
    branches = [_branch(3, 2, BranchLevel.SUB_BRANCH), _branch(5, 3, BranchLevel.SUB_BRANCH)]
    tree = build_tree(branches, [_unit(20, 5, parent=99)], {})
    assert [n.branch.id for n in tree] == [3]
    assert [c.branch.id for c in tree[0].children] == [5]
    # A unit whose parent is not visible is shown at the top of its branch.
    assert [u.unit.id for u in tree[0].children[0].org_units] == [20]
