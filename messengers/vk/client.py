"""A configured `vk_api.VkApi`: current API version, VK_API_URL routing, a community's rate.

vk_api hard-codes `https://api.vk.ru/method/` and posts through `VkApi.http`, a
`requests.Session`; mounting `ApiRouter` on it is the one seam that points the real
client at another server (a proxy in production, the fake in tests) without forking it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
import vk_api
from jconfig.memory import MemoryConfig
from requests.adapters import HTTPAdapter

API_HOSTS = frozenset({"api.vk.com", "api.vk.ru"})
TOO_MANY_RPS = 6


DEFAULT_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds: vk_api posts without a timeout, and a hung call would hold a
worker thread (and vk_api's lock, i.e. every other call) forever."""


class ApiRouter(HTTPAdapter):
    """Send `https://api.vk.{com,ru}/method/X` to `<api_url>X`; everything else unchanged.

    Also gives every request without a timeout `timeout` (the long poll sets its own).
    """

    def __init__(self, api_url: str, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        if parts.hostname in API_HOSTS and parts.path.startswith("/method/"):
            query = f"?{parts.query}" if parts.query else ""
            request.url = self.api_url + parts.path.removeprefix("/method/") + query
        return super().send(request, stream=stream, timeout=timeout or self.timeout, **kwargs)


Timeout = float | tuple[float, float]


def route(session: requests.Session, api_url: str, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
    router = ApiRouter(api_url, timeout)
    session.mount("https://", router)
    session.mount("http://", router)


def make_vk_api(
    token: str, *, api_url: str, api_version: str, requests_per_s: float,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> vk_api.VkApi:
    """A VkApi for a community token.

    - `MemoryConfig`: no `vk_config.v2.json` written into the working directory;
    - `RPS_DELAY`: vk_api sleeps so calls are at least this far apart (0.34 s, i.e. the
      3/s of a user token, by default); a community token may make 20 calls a second;
    - error 6 ("too many requests per second") is raised instead of vk_api's endless
      0.5 s sleep-and-retry inside a worker thread: the outbox retries it with backoff.
    """
    vk = vk_api.VkApi(token=token, api_version=api_version, config=MemoryConfig)
    vk.RPS_DELAY = 1.0 / requests_per_s
    vk.error_handlers.pop(TOO_MANY_RPS, None)
    route(vk.http, api_url, timeout)
    return vk
