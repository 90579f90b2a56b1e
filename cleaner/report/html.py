"""index.html: one self-contained page (no network) to review what was removed, by rule."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path

from cleaner.atomic import atomic_open
from cleaner.document import Cleaned

MAX_DOCS = 2000  # sections on the page, so that it opens; the .diff files hold every change

_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cleaner report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.6em 1em;z-index:1}
header h1{font-size:1.1em;margin:0 0 .3em}
#rules label{display:inline-block;margin:.1em .6em .1em 0;white-space:nowrap;cursor:pointer}
main{padding:0 1em 2em}
section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.5em 1em}
section h2{font-size:1em;margin:.2em 0 .5em;font-family:ui-monospace,monospace}
section h2 small{color:#666;font-weight:normal}
.l{white-space:pre-wrap;margin:0;padding:1px 4px;border-left:3px solid transparent;font-family:ui-monospace,monospace;font-size:12.5px}
.l.drop{text-decoration:line-through;color:#a33;background:#fff1f1;border-left-color:#d33}
.l.fix{background:#f1f7ff;border-left-color:#39f}
.tag{display:inline-block;margin-left:.6em;padding:0 .4em;border-radius:3px;background:#eee;color:#333;font-size:11px;text-decoration:none}
.drop .tag{background:#fdd}
.hidden{display:none}
footer{color:#666;padding:1em}
</style></head><body>
<header><h1>cleaner report</h1>
<div>Show documents where this rule acted: <span id="rules"></span>
<button type="button" id="all">all</button> <button type="button" id="none">none</button></div>
</header><main>
"""

_TAIL = """</main>
<footer>%s</footer>
<script>
(function(){
  var sections=[].slice.call(document.querySelectorAll("section[data-rules]"));
  var counts={};
  sections.forEach(function(s){s.dataset.rules.split(" ").forEach(function(r){if(r)counts[r]=(counts[r]||0)+1;});});
  var box=document.getElementById("rules");
  Object.keys(counts).sort().forEach(function(r){
    var l=document.createElement("label"),c=document.createElement("input");
    c.type="checkbox";c.checked=true;c.value=r;c.addEventListener("change",apply);
    l.appendChild(c);l.appendChild(document.createTextNode(" "+r+" ("+counts[r]+")"));box.appendChild(l);
  });
  function apply(){
    var on={};[].forEach.call(box.querySelectorAll("input"),function(c){if(c.checked)on[c.value]=1;});
    sections.forEach(function(s){
      var show=s.dataset.rules.split(" ").some(function(r){return on[r];});
      s.classList.toggle("hidden",!show);
    });
  }
  function setAll(v){[].forEach.call(box.querySelectorAll("input"),function(c){c.checked=v;});apply();}
  document.getElementById("all").onclick=function(){setAll(true);};
  document.getElementById("none").onclick=function(){setAll(false);};
})();
</script></body></html>
"""


# What one document may add to the page, and the page itself: a document of a million lines
# must not make a page no browser opens (or a worker that runs out of memory building it).
MAX_ROWS = 1000  # lines shown per document
MAX_LINE_CHARS = 2000  # characters shown per line (rules never look past 2,000 either)
MAX_PAGE_BYTES = 64 << 20  # sections stop once the page would pass this


def _esc(value: str) -> str:
    """Text or attribute value, safe in the page; no raw line break either, since the page is
    assembled from fragment files that hold one section per line."""
    return escape(value).replace("\n", "&#10;").replace("\r", "&#13;")


def _shown(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return _esc(text)
    return f"{_esc(text[:MAX_LINE_CHARS])} <i>… {len(text) - MAX_LINE_CHARS} more characters</i>"


def _tag(label: str) -> str:
    return f'<span class="tag">{_esc(label)}</span>'


def section(cleaned: Cleaned) -> str:
    """One document on one line of text: every input line (up to MAX_ROWS), removed ones
    struck through with their rule id."""
    acted = sorted({*cleaned.removed(), *cleaned.repaired()})
    doc = cleaned.doc
    title = f"{_esc(doc.id)} <small>{_esc(doc.source)}"
    if cleaned.site:
        title += f" · site {_esc(cleaned.site)}"
    title += f" · {len(doc.text)} → {len(cleaned.text)} chars</small>"
    rows = [f'<section data-rules="{_esc(" ".join(acted))}"><h2>{title}</h2>']
    shown = 0
    for n, line in enumerate(cleaned.lines):
        if shown == MAX_ROWS:
            rows.append(f'<p class="l"><i>… {len(cleaned.lines) - n} more lines: see the .diff file</i></p>')
            break
        if line.dropped_by is not None:
            if line.orig.strip():
                rows.append(f'<p class="l drop">{_shown(line.orig)}{_tag(line.dropped_by)}</p>')
        elif line.changed_by and line.text.strip():
            tags = "".join(_tag(label) for label in line.changed_by)
            rows.append(f'<p class="l fix" title="{_esc(line.orig[:MAX_LINE_CHARS])}">{_shown(line.text)}{tags}</p>')
        elif line.text.strip():
            rows.append(f'<p class="l">{_shown(line.text)}</p>')
        else:
            continue
        shown += 1
    rows.append("</section>\n")
    return "".join(rows)


def write_page(path: Path, fragments: list[Path], changed: int) -> None:
    """The page: the head, the first MAX_DOCS sections (one per line in the fragment files, in
    input order) while the page stays under MAX_PAGE_BYTES, the filter script."""
    shown = size = 0
    with atomic_open(path) as out:
        out.write(_HEAD.encode("utf-8"))
        for section in _sections(fragments):
            if shown == MAX_DOCS or size + len(section) > MAX_PAGE_BYTES:
                break
            out.write(section)
            shown += 1
            size += len(section)
        note = f"{shown} changed documents shown."
        if changed > shown:
            note += f" {changed - shown} more are in the .diff files."
        out.write((_TAIL % escape(note)).encode("utf-8"))


def _sections(fragments: list[Path]) -> Iterator[bytes]:
    for fragment in fragments:
        with fragment.open("rb") as part:
            yield from part
