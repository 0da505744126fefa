"""zh/en messages shared by every page: the frame, navigation, login, errors, pagination."""

from __future__ import annotations

from typing import Final

CONSOLE: Final[dict[str, dict[str, str]]] = {
    "app.name": {"zh": "LoanPilot 个贷营销", "en": "LoanPilot"},
    "app.console": {"zh": "员工工作台", "en": "Staff console"},
    "app.portal": {"zh": "个人贷款", "en": "Personal loans"},
    "nav.api_docs": {"zh": "API 文档", "en": "API docs"},
    "nav.dashboard": {"zh": "经营概览", "en": "Dashboard"},
    "nav.customers": {"zh": "客户", "en": "Customers"},
    "nav.products": {"zh": "产品", "en": "Products"},
    "nav.staff": {"zh": "员工", "en": "Staff"},
    "nav.org_units": {"zh": "组织架构", "en": "Org units"},
    "nav.permissions": {"zh": "权限矩阵", "en": "Permissions"},
    "nav.audit": {"zh": "审计日志", "en": "Audit log"},
    "nav.menu": {"zh": "菜单", "en": "Menu"},
    "nav.portal_home": {"zh": "贷款产品", "en": "Loan products"},
    "nav.calculator": {"zh": "贷款计算器", "en": "Loan calculator"},
    "nav.progress": {"zh": "进度查询", "en": "Track application"},
    "nav.staff_login": {"zh": "员工登录", "en": "Staff login"},
    "lang.switch": {"zh": "English", "en": "中文"},
    "lang.switch_title": {"zh": "Switch to English", "en": "切换到中文"},
    "value.none": {"zh": "—", "en": "—"},
    "five_class.normal": {"zh": "正常", "en": "Normal"},
    "five_class.special_mention": {"zh": "关注", "en": "Special mention"},
    "five_class.substandard": {"zh": "次级", "en": "Substandard"},
    "five_class.doubtful": {"zh": "可疑", "en": "Doubtful"},
    "five_class.loss": {"zh": "损失", "en": "Loss"},
    # who is signed in
    "user.signed_in_as": {"zh": "{name}（{role}）", "en": "{name} ({role})"},
    "user.logout": {"zh": "退出登录", "en": "Log out"},
    "role.administrator": {"zh": "系统管理员", "en": "Administrator"},
    "role.marketing_manager": {"zh": "营销经理", "en": "Marketing manager"},
    "role.customer_manager": {"zh": "客户经理", "en": "Customer manager"},
    "role.senior_customer_manager": {"zh": "高级客户经理", "en": "Senior customer manager"},
    "role.sales_consultant": {"zh": "销售顾问", "en": "Sales consultant"},
    "role.market_analyst": {"zh": "市场分析员", "en": "Market analyst"},
    "role.risk_officer": {"zh": "风险官", "en": "Risk officer"},
    "role.approver": {"zh": "审批人", "en": "Approver"},
    "role.collector": {"zh": "催收员", "en": "Collector"},
    "role.service_agent": {"zh": "客服专员", "en": "Service agent"},
    "role.auditor": {"zh": "审计员", "en": "Auditor"},
    "role.branch_head": {"zh": "支行行长", "en": "Branch head"},
    # login
    "login.title": {"zh": "员工登录", "en": "Staff login"},
    "login.username": {"zh": "用户名", "en": "User name"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Log in"},
    "login.failed": {
        "zh": "用户名或密码错误。连续 5 次密码错误后账户将锁定 15 分钟。",
        "en": "Wrong user name or password. Five wrong passwords in a row lock an account for "
        "15 minutes.",
    },
    "login.inactive": {"zh": "该账户已停用。", "en": "This account is disabled."},
    "login.expired": {
        "zh": "登录已过期，请重新登录。",
        "en": "Your session has expired. Please log in again.",
    },
    "login.invalid": {
        "zh": "登录凭证无效，请重新登录。",
        "en": "Your sign-in is not valid. Please log in again.",
    },
    "login.required": {"zh": "请先登录。", "en": "Please log in first."},
    "login.logged_out": {"zh": "您已安全退出。", "en": "You have logged out."},
    # errors
    "error.title": {"zh": "出错了", "en": "Something went wrong"},
    "error.forbidden": {
        "zh": "您没有执行此操作的权限。",
        "en": "You do not have permission to do this.",
    },
    "error.scope": {
        "zh": "该记录不在您的管辖范围内。",
        "en": "This record is outside your branch or your customers.",
    },
    "error.not_found": {"zh": "找不到该页面或记录。", "en": "Page or record not found."},
    "error.session_only": {
        "zh": "此操作只能在登录后的工作台中进行，不能使用 API 令牌。",
        "en": "This can be done only in a console session, not with an API token.",
    },
    "error.csrf": {
        "zh": "表单已失效（安全校验未通过），请刷新页面后重试。",
        "en": "The form has expired (security check failed). Reload the page and try again.",
    },
    "error.too_large": {
        "zh": "提交的内容过大。",
        "en": "What was sent is too large.",
    },
    "error.rate_limited": {
        "zh": "请求过于频繁，请 {seconds} 秒后再试。",
        "en": "Too many requests. Try again in {seconds} seconds.",
    },
    "error.invalid": {"zh": "请检查以下内容：", "en": "Please check the following:"},
    "error.server": {
        "zh": "服务器内部错误，请稍后重试。",
        "en": "Internal error. Please try again later.",
    },
    "error.back": {"zh": "返回首页", "en": "Back to the start"},
    # tables
    "table.page_of": {
        "zh": "第 {page} / {pages} 页，共 {total} 条",
        "en": "Page {page} of {pages}, {total} rows",
    },
    "table.prev": {"zh": "上一页", "en": "Previous"},
    "table.next": {"zh": "下一页", "en": "Next"},
    "table.empty": {"zh": "没有符合条件的记录。", "en": "No matching rows."},
    "table.filter": {"zh": "筛选", "en": "Filter"},
    "table.reset": {"zh": "重置", "en": "Reset"},
    "table.sort_by": {"zh": "按{column}排序", "en": "Sort by {column}"},
    # my account
    "account.title": {"zh": "我的账户", "en": "My account"},
    "account.role": {"zh": "角色", "en": "Role"},
    "account.scope": {"zh": "数据范围", "en": "Data scope"},
    "account.scope.all": {"zh": "全行", "en": "The whole bank"},
    "account.scope.branch": {"zh": "本机构及下辖机构", "en": "My branch and those below it"},
    "account.scope.own": {"zh": "仅本人管户客户", "en": "Only the customers assigned to me"},
    "account.permissions": {"zh": "权限", "en": "Permissions"},
    "account.change_password": {"zh": "修改密码", "en": "Change password"},
    "account.old_password": {"zh": "当前密码", "en": "Current password"},
    "account.new_password": {"zh": "新密码", "en": "New password"},
    "account.password_rules": {
        "zh": "至少 10 位，包含大写字母、小写字母、数字、符号中的至少三类，且不含用户名。",
        "en": "At least 10 characters mixing three of upper case, lower case, digits and symbols, "
        "without the user name.",
    },
    "account.password_changed": {"zh": "密码已修改。", "en": "Your password has been changed."},
    "account.tokens": {"zh": "API 令牌", "en": "API tokens"},
    "account.tokens_hint": {
        "zh": "其他系统调用 API 时使用：请求头 Authorization: Bearer <令牌>。令牌拥有您的权限。",
        "en": "For other systems calling the API: header Authorization: Bearer <token>. "
        "A token has your permissions.",
    },
    "account.token_once": {
        "zh": "请立即复制此令牌，它只显示这一次：",
        "en": "Copy this token now; it is shown only once:",
    },
    "account.token_name": {"zh": "用途", "en": "Name"},
    "account.token_days": {"zh": "有效天数", "en": "Valid days"},
    "account.token_prefix": {"zh": "前缀", "en": "Prefix"},
    "account.token_expires": {"zh": "到期时间", "en": "Expires"},
    "account.token_last_used": {"zh": "最近使用", "en": "Last used"},
    "account.issue_token": {"zh": "签发令牌", "en": "Issue token"},
    "account.revoke": {"zh": "吊销", "en": "Revoke"},
    "account.revoked": {"zh": "已吊销", "en": "Revoked"},
    "account.expired": {"zh": "已过期", "en": "Expired"},
    "nav.account": {"zh": "我的账户", "en": "My account"},
}
