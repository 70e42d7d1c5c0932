"""``chainrule play``: serve the browser classroom on 127.0.0.1 and open it.

    $ make site                      # builds site/ (the docs) and site/play/ (the classroom)
    $ chainrule play                 # serves ./site, opens http://127.0.0.1:8000/play/
    $ chainrule play --dir /srv/site --port 8080 --no-browser

The classroom is static files (Pyodide, Graphviz in WebAssembly, chainrule's own
wheel), so any static server works too: ``python -m http.server -d site``.  This one
listens on 127.0.0.1 only, for a classroom with no network, and sends the types that
WebAssembly and JavaScript modules need on every Python version.
"""

from __future__ import annotations

import functools
import http.server
import threading
import webbrowser
from pathlib import Path

from chainrule.common import CommandError

__all__ = ["add_arguments", "run", "serve", "TYPES"]

# Browsers refuse a module script or a streamed WebAssembly file sent with the wrong type,
# and older Pythons' mimetypes do not know .mjs or .wasm.
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".whl": "application/zip", ".zip": "application/zip",
         ".svg": "image/svg+xml", ".css": "text/css", ".html": "text/html"}


def add_arguments(parser) -> None:
    parser.add_argument("--dir", default="site", metavar="FOLDER",
                        help="the built site, with the classroom in FOLDER/play/ (default ./site, "
                             "which `make site` builds)")
    parser.add_argument("--port", type=int, default=8000, metavar="N",
                        help="the port on 127.0.0.1 (default 8000; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true",
                        help="only serve; print the address without opening a browser")


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):  # quiet: a class makes hundreds of requests
        pass


def serve(folder, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on 127.0.0.1 (not yet serving: call ``serve_forever``)."""
    handler = functools.partial(_Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def run(args) -> int:
    folder = Path(args.dir)
    if not (folder / "play" / "index.html").is_file():
        raise CommandError(f"--dir {args.dir}: {folder / 'play' / 'index.html'} is missing: "
                           "build the classroom with `make site` in a chainrule checkout, "
                           "or give --dir the folder that holds play/")
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port}: give a port from 1 to 65535 (0: any free one)")
    try:
        server = serve(folder, args.port)
    except OSError as error:
        raise CommandError(f"--port {args.port}: cannot listen on 127.0.0.1 "
                           f"({error.strerror or error}); give another --port") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/play/"
    print(f"serving the classroom at {url} (Ctrl-C stops)", flush=True)
    if not args.no_browser:
        threading.Timer(0.3, webbrowser.open, [url]).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0
