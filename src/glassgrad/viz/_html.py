"""Small HTML pieces for the notebook views (``_repr_html_``) of viz results."""

from __future__ import annotations

import html

__all__ = ["pre", "table"]


def pre(text: str) -> str:
    """Monospaced text, escaped: derivations keep their alignment."""
    return f'<pre style="margin:0;font-family:monospace">{html.escape(text)}</pre>'


def table(header: list, rows: list, caption: str = "") -> str:
    """A plain table; cells are escaped text unless given as ``("html", markup)``."""

    def cell(value, tag: str) -> str:
        if isinstance(value, tuple) and value[:1] == ("html",):
            return f"<{tag}>{value[1]}</{tag}>"
        return f"<{tag}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell(h, "th") for h in header)
    body = "".join("<tr>" + "".join(cell(v, "td") for v in row) + "</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="glassgrad">{title}<tr>{head}</tr>{body}</table>'
