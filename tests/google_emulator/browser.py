"""A web browser whose user consents: for driving the installed-app OAuth flow."""

from __future__ import annotations

import threading
import urllib.request
import webbrowser


class ConsentingBrowser(webbrowser.BaseBrowser):
    """Opens the consent page and follows its redirect back to the flow, in a thread:
    the flow's local server only starts answering once ``open`` returns."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        threading.Thread(target=lambda: opener.open(url, timeout=10).read(), daemon=True).start()
        return True
