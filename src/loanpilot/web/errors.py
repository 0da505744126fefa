"""Error pages: a refusal or failure on a console or portal page, in the visitor's language.

A console visitor who is not signed in (or whose session expired) and asked for a page is sent to
the login page with the reason; anything else gets an error page with the right status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from loanpilot.web.render import render

#: Message key of each error code shown on an error page (others: by status).
_MESSAGE_BY_CODE = {
    "auth.forbidden": "error.forbidden",
    "scope.forbidden": "error.scope",
    "csrf.invalid": "error.csrf",
    "auth.session_required": "error.session_only",
    "request.too_large": "error.too_large",
}
_MESSAGE_BY_STATUS = {
    401: "login.required",
    403: "error.forbidden",
    404: "error.not_found",
    413: "error.too_large",
    422: "error.invalid",
}
_LOGIN_REASON = {
    "auth.session_expired": "expired",
    "auth.invalid_session": "invalid",
    "auth.required": "required",
}


def error_page(
    request: Request, status: int, code: str, detail: str, fields: list[dict[str, Any]]
) -> Response:
    path = request.url.path
    if status == 401 and path.startswith("/console") and request.method == "GET":
        query = {"next": path + (f"?{request.url.query}" if request.url.query else "")}
        reason = _LOGIN_REASON.get(code)
        if reason:
            query["reason"] = reason
        response: Response = RedirectResponse(f"/console/login?{urlencode(query)}", status_code=303)
        if code in ("auth.session_expired", "auth.invalid_session"):
            response.delete_cookie("lp_session", path="/")
        return response
    key = _MESSAGE_BY_CODE.get(code) or _MESSAGE_BY_STATUS.get(status, "error.server")
    template = "console/error.html" if path.startswith("/console") else "portal/error.html"
    return render(
        request,
        template,
        {"status": status, "code": code, "message_key": key, "detail": detail, "fields": fields},
        status_code=status,
    )
