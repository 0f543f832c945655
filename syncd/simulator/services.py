"""Services Framework APIs that need a login: file upload and site export."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from .jwt_auth import current_user, unauthorized
from .keys import state_of
from .media import MediaFile, content_type_for
from .state import ExportJob

JOB_SUBMITTED, JOB_IN_PROGRESS, JOB_SUCCESSFUL = 0, 1, 2


async def post_file(request: web.Request) -> web.Response:
    """multipart FOLDER / OVERWRITE / POSTFILE -> {"FileId", "FilePath"} (site path)."""
    state = state_of(request)
    if current_user(request) is None:
        return unauthorized("bad-jwt")
    fields: dict[str, str] = {}
    filename = ""
    data = b""
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "POSTFILE":
            # Some clients (aiohttp among them) percent-encode non-ASCII file names.
            filename = unquote(part.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
            data = await part.read(decode=False)
        elif part.name:
            fields[part.name] = await part.text()
    if not filename:
        return web.json_response({"Message": "POSTFILE part with a file name is required"},
                                 status=400)
    folder = fields.get("FOLDER", "").strip("/")
    overwrite = fields.get("OVERWRITE", "false").lower() == "true"
    prefix = f"/Portals/{state.config.portal_id}/"
    path = prefix + (f"{folder}/" if folder else "") + filename
    existing = state.media.by_path(path)
    if existing is not None and not overwrite:
        return web.json_response(
            {"AlreadyExists": True, "FileId": existing.file_id, "FilePath": existing.path,
             "Message": f"File {filename} already exists"}
        )
    file_id = existing.file_id if existing is not None else state.media.next_id()
    when = state.stamp()
    state.media.add(MediaFile(file_id, path, content_type_for(path), when, 0, len(data), data))
    return web.json_response({"FileId": file_id, "FilePath": path, "AlreadyExists": False})


def _require_superuser(request: web.Request) -> web.Response | None:
    user = current_user(request)
    if user is None:
        return unauthorized("bad-jwt")
    if not user.superuser:
        return web.json_response({"Message": "Superuser permission required"}, status=403)
    return None


async def export(request: web.Request) -> web.Response:
    denied = _require_superuser(request)
    if denied is not None:
        return denied
    state = state_of(request)
    try:
        spec: Any = await request.json()
    except ValueError:
        spec = None
    if not isinstance(spec, dict):
        return web.json_response({"Message": "export description (JSON) required"}, status=400)
    job_id = max(state.export_jobs, default=0) + 1
    created = state.clock.now()
    state.export_jobs[job_id] = ExportJob(
        job_id=job_id,
        name=str(spec.get("ExportName", f"Export {job_id}")),
        mode=str(spec.get("ExportMode", "Full")),
        created=created,
        folder=f"{created:%Y-%m-%d_%H-%M-%S}",
    )
    return web.json_response({"jobId": job_id})


async def job_details(request: web.Request) -> web.Response:
    """Each poll moves a job one state on: 0 submitted, 1 in progress, 2 successful."""
    denied = _require_superuser(request)
    if denied is not None:
        return denied
    state = state_of(request)
    try:
        job = state.export_jobs.get(int(request.query.get("jobId", "")))
    except ValueError:
        job = None
    if job is None:
        return web.json_response({"Message": "Job not found"}, status=404)
    status = min(job.polls, JOB_SUCCESSFUL)
    job.polls += 1
    if status == JOB_SUCCESSFUL and job.folder not in state.export_packages:
        state.export_packages[job.folder] = {
            "export.json": json.dumps(
                {"Name": job.name, "Mode": job.mode, "Articles": len(state.news.ids())}
            ),
            "export_db.zip": b"PK\x05\x06" + b"\0" * 18,
        }
    return web.json_response(
        {
            "JobId": job.job_id,
            "JobType": "Export",
            "Status": status,
            "Name": job.name,
            "ExportMode": job.mode,
            "CreatedOn": job.created.isoformat(),
            "CompletedOn": state.clock.now().isoformat() if status == JOB_SUCCESSFUL else None,
            "ExportFile": job.folder,
            "Summary": {"Pages": 5, "Articles": len(state.news.ids())},
        }
    )
