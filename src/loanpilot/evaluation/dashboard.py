"""The console dashboard (经营概览): the headline KPIs by month and by branch, filtered by period,
branch, product and channel, and limited to what the viewer may see.

The definitions are those of the headline figures (``evaluation.service``): applications are
counted by ``submitted_at`` in Asia/Shanghai business months; the approval rate is approved ÷
decided applications over the decisions made in the period (``repository.APPROVED``/``DECIDED``);
disbursements are loans' principal by ``disbursed_on``; the balance is the outstanding principal of
repaying loans today, and the NPL ratio its 次级 + 可疑 + 损失 share (``NPL_CLASSES``).

Scope is applied in SQL through a ``repository.Slice``: a branch head (BRANCH) sees the loans and
applications booked at their branch and the branches below it, a customer manager (OWN) those
where they are the manager; a branch filter narrows further, to the chosen branch and its subtree.
Branches are shown one level below the branch in view (the bank's branches when nothing is
chosen), each with the figures of its whole subtree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.access.rules import ScopeKind
from loanpilot.evaluation import repository
from loanpilot.evaluation.dashboard_cache import CACHE_SECONDS, DashboardCache
from loanpilot.evaluation.filters import (
    MAX_MONTHS,
    DashboardFilters,
    RawFilters,
    Viewer,
    month_label,
    parse_filters,
)
from loanpilot.evaluation.repository import Slice
from loanpilot.evaluation.service import (
    NPL_CLASSES,
    approval_rate,
    ensure_schema,
    npl_ratio,
    start_instant,
)
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import PermissionDeniedError

__all__ = [
    "CACHE_SECONDS",
    "MAX_MONTHS",
    "BranchNode",
    "BranchRow",
    "BranchTree",
    "Choice",
    "Dashboard",
    "DashboardCache",
    "DashboardFilters",
    "Figures",
    "MonthRow",
    "RawFilters",
    "Viewer",
    "compute",
    "dashboard",
    "parse_filters",
]


# --- the branch tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchNode:
    id: int
    code: str
    name: str
    parent_id: int | None
    level: str


class BranchTree:
    """The bank's branches (a few hundred rows at most), for subtrees and roll-ups."""

    def __init__(self, nodes: Iterable[BranchNode]) -> None:
        self.nodes = {node.id: node for node in nodes}
        self.children: dict[int | None, list[int]] = {}
        for node in self.nodes.values():
            self.children.setdefault(node.parent_id, []).append(node.id)

    def subtree(self, root: int) -> frozenset[int]:
        found, stack = {root}, [root]
        while stack:
            for child in self.children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)

    def depth(self, branch_id: int) -> int:
        depth, node = 0, self.nodes.get(branch_id)
        while node is not None and node.parent_id is not None and depth < 64:
            depth += 1
            node = self.nodes.get(node.parent_id)
        return depth

    def default_root(self) -> int | None:
        """The bank's single top branch (the head office), if it has exactly one."""
        tops = self.children.get(None, [])
        return tops[0] if len(tops) == 1 else None

    def shown_as(self, branch_id: int | None, root: int | None) -> int | None:
        """The branch ``branch_id``'s figures are shown under: its ancestor one level below
        ``root`` (``root`` itself for a loan booked there); unknown branches stand for themselves."""
        if branch_id is None or branch_id == root:
            return branch_id
        node = self.nodes.get(branch_id)
        path = [branch_id]
        while node is not None and node.parent_id is not None and len(path) < 64:
            if node.parent_id == root:
                return path[-1]
            path.append(node.parent_id)
            node = self.nodes.get(node.parent_id)
        return path[-1] if root is None else branch_id


# --- the figures ------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One slice's KPIs; money in fen. Ratios are None when their denominator is zero."""

    applications: int = 0
    approved: int = 0
    decided: int = 0
    disbursed_fen: int = 0
    balance_fen: int = 0
    npl_fen: int = 0

    @property
    def approval_rate(self) -> Decimal | None:
        return approval_rate(self.approved, self.decided)

    @property
    def npl_ratio(self) -> Decimal | None:
        return npl_ratio(self.npl_fen, self.balance_fen)

    @property
    def is_zero(self) -> bool:
        return not (self.applications or self.decided or self.disbursed_fen or self.balance_fen)


@dataclass
class MonthRow(Figures):
    """A business month of the series (``month`` is ``YYYY-MM``); balance and NPL stay zero."""

    month: str = ""


@dataclass
class BranchRow(Figures):
    """A branch with its subtree (``branch_id`` None: applications booked at no branch)."""

    branch_id: int | None = None
    code: str = ""
    name: str = ""


@dataclass(frozen=True)
class Choice:
    """An option of a filter select."""

    value: str
    label_zh: str
    label_en: str
    depth: int = 0

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    filters: DashboardFilters
    has_data: bool
    total: Figures
    months: list[MonthRow]
    branches: list[BranchRow]
    branch_choices: list[Choice] = field(default_factory=list)
    product_choices: list[Choice] = field(default_factory=list)


def _slice(filters: DashboardFilters, viewer: Viewer, tree: BranchTree) -> Slice:
    branches: frozenset[int] | None = None
    if filters.branch_id is not None:
        branches = tree.subtree(filters.branch_id)
    if viewer.scope is ScopeKind.BRANCH:
        branches = viewer.branch_ids if branches is None else branches & viewer.branch_ids
    manager = viewer.staff_id if viewer.scope is ScopeKind.OWN else None
    channel = filters.channel.value if filters.channel is not None else None
    return Slice(branches, filters.product_id, channel, manager)


def _root(filters: DashboardFilters, viewer: Viewer, tree: BranchTree) -> int | None:
    if filters.branch_id is not None:
        return filters.branch_id
    if viewer.scope is ScopeKind.BRANCH:
        return viewer.branch_id
    return tree.default_root()


def visible_branches(viewer: Viewer, tree: BranchTree) -> list[BranchNode]:
    """The branches the viewer may filter by, in code order."""
    if viewer.scope is ScopeKind.BRANCH:
        return [node for node in tree.nodes.values() if node.id in viewer.branch_ids]
    return list(tree.nodes.values())


def compute(
    session: Session,
    raw: RawFilters,
    viewer: Viewer,
    today: date,
    *,
    tz: ZoneInfo = SHANGHAI,
) -> Dashboard:
    """The dashboard for ``viewer`` as of business date ``today``.

    Raises ``ValidationError`` listing every invalid filter, ``PermissionDeniedError``
    (``scope.forbidden``) for a branch outside a branch head's branch, and ``SchemaNotReadyError``
    on an unmigrated database. Seven aggregate queries; nothing is written.
    """
    ensure_schema(session)
    tree = BranchTree(BranchNode(*row) for row in repository.branch_tree(session))
    products = repository.product_choices(session)
    filters = parse_filters(raw, today, branch_ids=tree.nodes, product_ids=[p[0] for p in products])
    if (
        filters.branch_id is not None
        and viewer.scope is ScopeKind.BRANCH
        and filters.branch_id not in viewer.branch_ids
    ):
        raise PermissionDeniedError(
            "scope.forbidden", "This branch is outside your branch and the branches below it"
        )
    where = _slice(filters, viewer, tree)
    root = _root(filters, viewer, tree)
    starts = filters.month_starts
    instants = [start_instant(day, tz) for day in starts]

    months = [MonthRow(month=month_label(day)) for day in starts[:-1]]
    rows: dict[int | None, BranchRow] = {}

    def row(branch_id: int | None) -> BranchRow:
        key = tree.shown_as(branch_id, root)
        if key not in rows:
            node = tree.nodes.get(key) if key is not None else None
            rows[key] = BranchRow(
                branch_id=key, code=node.code if node else "", name=node.name if node else ""
            )
        return rows[key]

    for index, branch_id, count in repository.applications_by_month_branch(
        session, instants, where
    ):
        months[index].applications += count
        row(branch_id).applications += count
    for index, approved, decided in repository.decisions_by_month(session, instants, where):
        months[index].approved += approved
        months[index].decided += decided
    for branch_id, approved, decided in repository.decisions_by_branch(
        session, instants[0], instants[-1], where
    ):
        target = row(branch_id)
        target.approved += approved
        target.decided += decided
    for index, branch_id, fen in repository.disbursed_by_month_branch(session, starts, where):
        months[index].disbursed_fen += fen
        row(branch_id).disbursed_fen += fen
    for branch_id, balance, npl in repository.balance_by_branch(
        session, where, sorted(NPL_CLASSES)
    ):
        target = row(branch_id)
        target.balance_fen += balance
        target.npl_fen += npl

    branches = sorted(
        (r for r in rows.values() if not r.is_zero),
        key=lambda r: (r.branch_id is None, r.code),
    )
    total = Figures(
        applications=sum(m.applications for m in months),
        approved=sum(b.approved for b in rows.values()),
        decided=sum(b.decided for b in rows.values()),
        disbursed_fen=sum(m.disbursed_fen for m in months),
        balance_fen=sum(b.balance_fen for b in rows.values()),
        npl_fen=sum(b.npl_fen for b in rows.values()),
    )
    return Dashboard(
        as_of=today,
        filters=filters,
        has_data=repository.has_customers(session),
        total=total,
        months=months,
        branches=branches,
        branch_choices=[
            Choice(str(node.id), node.name, f"{node.name} ({node.code})", tree.depth(node.id))
            for node in sorted(visible_branches(viewer, tree), key=_tree_order(tree))
        ],
        product_choices=[Choice(str(pid), zh, en) for pid, _code, zh, en in products],
    )


def _tree_order(tree: BranchTree) -> Callable[[BranchNode], tuple[str, ...]]:
    """Sort key that lists each branch right after its parent (codes along the path)."""

    def key(node: BranchNode) -> tuple[str, ...]:
        path: list[str] = []
        current: BranchNode | None = node
        while current is not None and len(path) < 64:
            path.append(current.code)
            current = tree.nodes.get(current.parent_id) if current.parent_id is not None else None
        return tuple(reversed(path))

    return key


def dashboard(
    session: Session,
    raw: RawFilters,
    viewer: Viewer,
    today: date,
    *,
    tz: ZoneInfo = SHANGHAI,
    cache: DashboardCache | None = None,
) -> Dashboard:
    """``compute`` through ``cache`` when one is given (only successful answers are kept)."""
    if cache is None:
        return compute(session, raw, viewer, today, tz=tz)
    key = (viewer.cache_key(), raw, today, str(tz))
    return cache.get_or_compute(key, lambda: compute(session, raw, viewer, today, tz=tz))
