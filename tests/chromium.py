"""Headless Chromium for the page tests (and docs/bench's page measurements): where it is,
how it starts, and the one measure of how big a page draws its graph's labels."""

import os

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
# no background networking: on a closed network Chromium's own connections are refused
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# The drawn height, in CSS px, of every visible label of the page's picture that is
# inside the picture's box (what a class sees, not what is scrolled away).
LABEL_HEIGHTS = """() => {
    const pic = document.getElementById('picture').getBoundingClientRect();
    const heights = [];
    document.querySelectorAll('#picture svg text').forEach(t => {
        if (!t.textContent.trim() || getComputedStyle(t).visibility === 'hidden') return;
        const r = t.getBoundingClientRect();
        if (r.right < pic.left || r.left > pic.right || r.bottom < pic.top ||
            r.top > pic.bottom) return;                       // off screen: not shown
        heights.push(r.height);
    });
    return heights;
}"""
