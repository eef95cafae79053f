"""Downloading RMI's lists over HTTP(S): the ``handlers.smelter_lists.Downloader`` the bot uses.

Standard library only (``urllib``): a timeout per file, a size cap, the file name from ``Content-Disposition``
(else the URL's last part). Every failure (offline, DNS, timeout, an HTTP error status, a file larger than allowed)
is one ``DownloadError`` naming the reason; nothing here retries (the next refresh does).
"""

from __future__ import annotations

import email.message
import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request

from handlers.smelter_lists import Download, DownloadError

log = logging.getLogger("cmbot.smelters")

USER_AGENT = "cmrt-bot (conflict-minerals supplier survey; RMI facilities lists)"
CHUNK = 64 * 1024


class HttpDownloader:
    def __init__(self, *, timeout: float = 60.0, max_bytes: int = 50 * 1024 * 1024) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes

    def __call__(self, url: str) -> Download:
        if urllib.parse.urlparse(url).scheme not in ("http", "https"):
            raise DownloadError(f"not an http(s) address: {url!r}")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise DownloadError(f"the file is {int(declared)} bytes, more than the {self.max_bytes} allowed")
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise DownloadError(f"the file is larger than the {self.max_bytes} bytes allowed")
                    chunks.append(chunk)
                data = b"".join(chunks)
                if declared and declared.isdigit() and int(declared) != len(data):
                    raise DownloadError(f"the download stopped after {len(data)} of {declared} bytes")
                name = _filename(response.headers.get("Content-Disposition"), response.geturl() or url)
        except DownloadError:
            raise
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"the server answered HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise DownloadError(f"cannot reach the server ({exc.reason})") from None
        except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:  # timeouts, resets, truncation
            raise DownloadError(f"the download failed ({type(exc).__name__}: {exc})") from None
        log.debug("downloaded %s: %d bytes as %s", url, len(data), name)
        return Download(name, data)


def _filename(disposition: str | None, url: str) -> str:
    if disposition:
        message = email.message.Message()
        message["Content-Disposition"] = disposition
        name = message.get_filename()
        if name:
            return name.replace("\\", "/").rsplit("/", 1)[-1]
    path = urllib.parse.urlparse(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or "download"
