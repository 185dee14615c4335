"""The container's HEALTHCHECK: GET /healthz on WEB_LISTEN, if the panel is on.

WHY a file and not a `curl` line: the slim image has no curl, and WEB_LISTEN may be unset
(no panel, nothing to ask: the check passes, a dead process stops the container anyway) or
bind every address (0.0.0.0, [::]), which is not an address to connect to. Standard library
only, so it runs in the image as it is.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]", "*"}
TIMEOUT_S = 4.0


def healthz_url(listen: str) -> str | None:
    """`host:port` as the settings take it -> the URL to ask, or None when there is no panel."""
    listen = listen.strip()
    if not listen:
        return None
    host, _, port = listen.rpartition(":")
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host.strip("[]"):
        host = f"[{host.strip('[]')}]"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    url = healthz_url(os.environ.get("WEB_LISTEN", ""))
    if url is None:
        return 0
    try:
        # urlopen raises HTTPError for 503 ("degraded": the database does not answer)
        with urllib.request.urlopen(url, timeout=TIMEOUT_S):
            return 0
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
