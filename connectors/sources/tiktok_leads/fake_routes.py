"""The fake's endpoints: TikTok's envelope, token and fault checks, paging, export tasks and test leads."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

if TYPE_CHECKING:
    from connectors.sources.tiktok_leads.fake import TikTokFake

FILE_TTL_S = 600  # an export file expires 10 minutes after it was generated
Answer = Response | tuple[str, int, dict[str, str]]


def envelope(data: Any = None, code: int = 0, message: str = "OK") -> Response:
    """HTTP 200 always; the outcome is in ``code`` (TikTok's convention)."""
    request_id = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8).upper()
    return jsonify({"code": code, "message": message, "request_id": request_id, "data": data or {}})


def _args() -> dict[str, Any]:
    """Query parameters, and for POST the JSON body (TikTok takes both)."""
    args: dict[str, Any] = dict(request.args)
    if request.method == "POST":
        args.update(request.get_json(silent=True) or {})
    return args


def _page(items: list[Any], args: dict[str, Any], max_size: int = 100) -> dict[str, Any] | Response:
    try:
        page, size = int(args.get("page", 1)), int(args.get("page_size", 10))
    except ValueError:
        return envelope(code=40002, message="page and page_size must be integers.")
    if page < 1 or not 1 <= size <= max_size:
        return envelope(code=40002, message=f"page_size must be between 1 and {max_size}; page must be >= 1.")
    total = len(items)
    info = {"page": page, "page_size": size, "total_number": total, "total_page": (total + size - 1) // size}
    return {"list": items[(page - 1) * size : page * size], "page_info": info}


def blueprint(fake: TikTokFake) -> Blueprint:
    bp = Blueprint("tiktok_fake", __name__)

    @bp.before_request
    def gate() -> Response | None:
        path = request.path
        if fake.take("server_error", path):
            return envelope(code=50000, message="System error, please try again later.")
        now = fake.now()
        if fake.take("rate_limit", path):
            fake.throttled_until = now + fake.rate_limit_window_s
        if now < fake.throttled_until:
            return envelope(code=40100, message="Too many requests. Please retry in some time.")
        if fake.take("token_expired", path):
            fake.expired = True
        token = request.headers.get("Access-Token")
        if not token:
            return envelope(code=40104, message="Access token is null, please check the Access-Token header.")
        if fake.expired:
            return envelope(code=40102, message="Access token has expired.")
        if token != fake.token:
            return envelope(code=40105, message="Access token is incorrect or has been revoked.")
        advertiser = str(_args().get("advertiser_id") or "")
        if not advertiser:
            return envelope(code=40002, message="advertiser_id: Missing data for required field.")
        if advertiser != fake.advertiser_id:
            return envelope(code=40001, message=f"No permission to operate advertiser {advertiser}.")
        return None

    @bp.get("/page/get/")
    def pages() -> Response:
        args = _args()
        items = [{"page_id": f.page_id, "page_name": f.name, "status": f.status} for f in fake.forms]
        if args.get("fields"):
            wanted = set(json.loads(args["fields"])) | {"page_id"}
            items = [{k: v for k, v in item.items() if k in wanted} for item in items]
        page = _page(items, args)
        return page if isinstance(page, Response) else envelope(page)

    @bp.get("/page/field/get/")
    def page_fields() -> Response:
        form = fake.form(str(_args().get("page_id") or ""))
        if form is None:
            return envelope(code=40002, message="page_id: the instant form does not exist.")
        return envelope({"page_id": form.page_id, "fields": form.fields()})

    @bp.route("/page/lead/task/", methods=["GET", "POST"])
    def task() -> Response:
        args = _args()
        if args.get("task_id"):
            with fake.lock:
                return _poll(fake, str(args["task_id"]))
        form = fake.form(str(args.get("page_id") or ""))
        if form is None:
            return envelope(code=40002, message="page_id: the instant form does not exist.")
        task_id = str(7_500_000_000_000_000_000 + next(fake.task_numbers))
        fake.tasks[task_id] = {
            "page": form,
            "polls_left": fake.polls_until_done,
            "fails": fake.take("task_failed"),
            "status": "RUNNING",
            "generated_at": None,
            "file": b"",
        }
        return envelope({"task_id": task_id})

    @bp.get("/page/lead/task/download/")
    def download() -> Answer:
        task = fake.tasks.get(str(_args().get("task_id") or ""))
        if task is None:
            return envelope(code=40002, message="task_id: the task does not exist.")
        if task["status"] != "SUCCEED":
            return envelope(code=40000, message="The task has not finished; poll it until SUCCEED.")
        if fake.take("file_expired"):
            fake.advance(FILE_TTL_S + 1)
        if fake.now() - task["generated_at"] > FILE_TTL_S:
            return envelope(code=40000, message="The file does not exist or has expired; create a new task.")
        headers = {"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": "attachment; filename=leads.csv"}
        return task["file"].decode("utf-8"), 200, headers

    @bp.get("/lead/get/")
    def lead_get() -> Response:
        args = _args()
        ids = json.loads(args["lead_ids"]) if args.get("lead_ids") else [args.get("lead_id")]
        found = [lead for lead in (fake.lead(str(i), tests=False) for i in ids if i) if lead is not None]
        return envelope({"list": found})

    @bp.post("/page/lead/mock/create/")
    def mock_create() -> Response:
        form = fake.form(str(_args().get("page_id") or ""))
        if form is None:
            return envelope(code=40002, message="page_id: the instant form does not exist.")
        (lead,) = fake.add_leads(1, form.page_id, is_test=True)
        return envelope({**lead, "advertiser_id": fake.advertiser_id})

    @bp.get("/page/lead/mock/get/")
    def mock_get() -> Response:
        args = _args()
        form = fake.form(str(args.get("page_id") or ""))
        leads = [
            {**lead, "advertiser_id": fake.advertiser_id} for lead in (form.leads if form else []) if lead["is_test"]
        ]
        page = _page(leads, args)
        return page if isinstance(page, Response) else envelope(page)

    @bp.post("/page/lead/mock/delete/")
    def mock_delete() -> Response:
        lead_id = str(_args().get("lead_id") or "")
        for form in fake.forms:
            if any(lead["lead_id"] == lead_id and lead["is_test"] for lead in form.leads):
                form.leads = [lead for lead in form.leads if lead["lead_id"] != lead_id]
                return envelope()
        return envelope(code=40002, message="lead_id: no test lead with this id.")

    return bp


def _poll(fake: TikTokFake, task_id: str) -> Response:
    task = fake.tasks.get(task_id)
    if task is None:
        return envelope(code=40002, message="task_id: the task does not exist.")
    if task["status"] == "RUNNING":
        if task["polls_left"] > 0:
            task["polls_left"] -= 1
        elif task["fails"]:
            task["status"] = "FAILED"
        else:
            task["status"], task["generated_at"] = "SUCCEED", fake.now()
            task["file"] = fake.export_csv(task["page"])
    return envelope({"task_id": task_id, "status": task["status"]})
