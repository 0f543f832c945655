"""JWT login, renewal and its failures; file upload and site export behind the token."""

from __future__ import annotations

from typing import Any

import aiohttp

from syncd.simulator import SimClock, SimulatedSite

LOGIN = "/API/JwtAuth/mobile/login"
EXTEND = "/API/JwtAuth/mobile/extendtoken"
UPLOAD = "/API/InternalServices/FileUpload/PostFile"
EXPORT = "/API/SiteExportImport/ExportImport/Export"
DETAILS = "/API/SiteExportImport/ExportImport/JobDetails"


async def login(
    http: aiohttp.ClientSession, site: SimulatedSite, user: str, pw: str
) -> dict[str, Any]:
    async with http.post(site.url(LOGIN), json={"u": user, "p": pw}) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
    return data


def upload_form(name: str, data: bytes, overwrite: bool = False) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("FOLDER", "Images/uploads/")
    form.add_field("OVERWRITE", "true" if overwrite else "false")
    form.add_field("POSTFILE", data, filename=name, content_type="image/jpeg")
    return form


async def upload(
    http: aiohttp.ClientSession, site: SimulatedSite, token: str, name: str, data: bytes
) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(site.url(UPLOAD), data=upload_form(name, data), headers=headers) as r:
        await r.read()
        return r


async def test_login_reply_and_bad_credentials(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    data = await login(http, site, "editor", "editor-password")
    assert set(data) == {"userId", "displayName", "accessToken", "renewalToken"}
    assert data["userId"] == 2 and data["displayName"] == "Biên tập viên"
    async with http.post(site.url(LOGIN), json={"u": "editor", "p": "nope"}) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == "Bearer bad-credentials"


async def test_token_expiry_and_renewal(
    site: SimulatedSite, http: aiohttp.ClientSession, clock: SimClock
) -> None:
    data = await login(http, site, "editor", "editor-password")
    token = data["accessToken"]
    assert (await upload(http, site, token, "a.jpg", b"\xff\xd8\xff1")).status == 200
    clock.advance(61 * 60)
    expired = await upload(http, site, token, "b.jpg", b"\xff\xd8\xff2")
    assert expired.status == 401
    assert expired.headers["WWW-Authenticate"] == "Bearer bad-jwt"
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(site.url(EXTEND), json={"rtoken": data["renewalToken"]},
                         headers=headers) as resp:
        assert resp.status == 200
        renewed = await resp.json()
    assert renewed["renewalToken"] == data["renewalToken"]
    assert renewed["accessToken"] != token
    assert (await upload(http, site, renewed["accessToken"], "b.jpg", b"x")).status == 200
    # The old access token is retired by the renewal.
    assert (await upload(http, site, token, "c.jpg", b"x")).status == 401


async def test_renewal_failures(
    site: SimulatedSite, http: aiohttp.ClientSession, clock: SimClock
) -> None:
    data = await login(http, site, "editor", "editor-password")
    bearer = {"Authorization": f"Bearer {data['accessToken']}"}
    async with http.post(site.url(EXTEND), json={"rtoken": "forged"}, headers=bearer) as resp:
        assert resp.status == 401 and resp.headers["WWW-Authenticate"] == "Bearer bad-jwt"
    forged = {"Authorization": "Bearer " + data["accessToken"][:-4] + "AAAA"}
    async with http.post(site.url(EXTEND), json={"rtoken": data["renewalToken"]},
                         headers=forged) as resp:
        assert resp.status == 401 and resp.headers["WWW-Authenticate"] == "Bearer bad-jwt"
    clock.advance(15 * 24 * 3600)
    async with http.post(site.url(EXTEND), json={"rtoken": data["renewalToken"]},
                         headers=bearer) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == "Bearer not-more-renewal"


async def test_logout_ends_the_session(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    data = await login(http, site, "editor", "editor-password")
    bearer = {"Authorization": f"Bearer {data['accessToken']}"}
    async with http.post(site.url("/API/JwtAuth/mobile/logout"), headers=bearer) as resp:
        assert resp.status == 200
    assert (await upload(http, site, data["accessToken"], "a.jpg", b"x")).status == 401


async def test_file_upload_is_served_and_respects_overwrite(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    token = (await login(http, site, "editor", "editor-password"))["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(site.url(UPLOAD), data=upload_form("ảnh 1.jpg", b"\xff\xd8\xffA"),
                         headers=headers) as resp:
        first = await resp.json()
    assert first["FilePath"] == "/Portals/0/Images/uploads/ảnh 1.jpg"
    async with http.get(site.media_url(first["FilePath"])) as resp:
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert await resp.read() == b"\xff\xd8\xffA"
    async with http.post(site.url(UPLOAD), data=upload_form("ảnh 1.jpg", b"B"),
                         headers=headers) as resp:
        assert (await resp.json())["AlreadyExists"] is True
    assert site.media_bytes(first["FilePath"]) == b"\xff\xd8\xffA"
    async with http.post(site.url(UPLOAD), data=upload_form("ảnh 1.jpg", b"B", overwrite=True),
                         headers=headers) as resp:
        assert (await resp.json())["FileId"] == first["FileId"]
    assert site.media_bytes(first["FilePath"]) == b"B"
    async with http.post(site.url(UPLOAD), data=upload_form("x.jpg", b"x")) as resp:
        assert resp.status == 401


async def test_export_job_moves_through_states(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    editor = (await login(http, site, "editor", "editor-password"))["accessToken"]
    spec = {"PortalId": 0, "ExportName": "Sao lưu", "ExportMode": "Full", "Pages": []}
    async with http.post(site.url(EXPORT), json=spec,
                         headers={"Authorization": f"Bearer {editor}"}) as resp:
        assert resp.status == 403
    host = (await login(http, site, "host", "host-password"))["accessToken"]
    headers = {"Authorization": f"Bearer {host}"}
    async with http.post(site.url(EXPORT), json=spec, headers=headers) as resp:
        job_id = (await resp.json())["jobId"]
    statuses = []
    for _ in range(4):
        async with http.get(site.url(DETAILS), params={"jobId": job_id}, headers=headers) as r:
            details = await r.json()
        statuses.append(details["Status"])
    assert statuses == [0, 1, 2, 2]
    assert details["Name"] == "Sao lưu"
    assert details["ExportFile"] in site.state.export_packages
    legacy = "/DesktopModules/SiteExportImport/API/ExportImport/JobDetails"
    async with http.get(site.url(legacy), params={"jobId": 99}, headers=headers) as resp:
        assert resp.status == 404
