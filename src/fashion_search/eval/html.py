"""A self-contained HTML page: escaped text, tables and PNG figures embedded as base64 data URIs."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1150px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { margin-top: 2.2em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: .8em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; }
figcaption { font-size: 13px; color: #555; max-width: 900px; }
img { max-width: 100%; border: 1px solid #eee; }
.note { background: #fff8e0; border-left: 4px solid #e0b000; padding: .5em 1em; }
.headline td { font-weight: 600; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt(value: object, digits: int = 3) -> str:
    """A cell value: floats rounded, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], css: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(png: bytes, caption: str, name: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{esc(name)}"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def paragraph(text: str, css: str = "") -> str:
    cls = f' class="{esc(css)}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"


@dataclass
class Section:
    key: str
    title: str
    parts: list[str] = field(default_factory=list)

    def text(self, text: str, css: str = "") -> None:
        self.parts.append(paragraph(text, css))

    def note(self, text: str) -> None:
        self.parts.append(paragraph(text, "note"))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], css: str = "") -> None:
        self.parts.append(table(headers, rows, css))

    def figure(self, png: bytes, caption: str, name: str) -> None:
        self.parts.append(figure(png, caption, name))

    def render(self) -> str:
        return (
            f'<section id="{esc(self.key)}"><h2>{esc(self.title)}</h2>' + "".join(self.parts) + "</section>"
        )


def page(title: str, intro: Sequence[str], sections: Sequence[Section]) -> str:
    toc = "".join(f'<li><a href="#{esc(s.key)}">{esc(s.title)}</a></li>' for s in sections)
    head = "".join(paragraph(t) for t in intro)
    body = "".join(s.render() for s in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>{head}<ul>{toc}</ul>{body}</body></html>"
    )
