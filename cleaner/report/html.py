"""index.html: the review page of a run, rule by rule, that opens fast on any corpus size.

The page itself holds only the per-rule figures over the whole corpus (the same as
summary.md). Everything else sits in ``review/`` beside it as small JavaScript files loaded
with ``<script src>`` when asked for, so the page works from ``file://`` with no network and
no server:

- ``s<rule>.js``: a sample of the rule's removals, each with the lines around it. The sample is
  deterministic (the ``SAMPLE`` removals with the smallest hash of document id and line; of
  documents with the same id, the first), so the same corpus always shows the same lines
  whatever the worker count.
- ``r<rule>-<part>.js``: every removal of the rule, ``PART`` per file.
- ``l<chunk>.js``: the list of changed documents, ``LIST`` per file, with the rules that acted.
- ``d<chunk>.js``: whole documents, ``DOCS`` per file, each line with its fate.

Past the review budget (``--review-budget``, Settings.review_budget) the page keeps a share of the
changed documents whole, chosen by a hash of their id (pagedata.kept_whole): the others' ``d``
items have no lines, and their removals are not in the ``r`` files. The figures, the list of
documents and every rule's sample still cover every document, and removals.jsonl and the diffs
hold them all.

Nothing from the corpus is ever put into the page as HTML: the data is JSON (with ``<``
escaped) and the script sets it with ``textContent``, so ids with newlines, ``<`` or quotes
show as written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from cleaner.document import Cleaned
from cleaner.io.atomic import atomic_open
from cleaner.report import files, review
from cleaner.report.pagedata import DATA_DIR, DOCS, LIST, PART, SAMPLE, Joiner, js, removals_file

__all__ = ["DATA_DIR", "DOCS", "LIST", "MAX_DOCS", "PART", "SAMPLE", "section", "write_page"]

# Every changed document now gets a review record (removals.jsonl and the page need them all);
# parallel.events still asks whether a document is within MAX_DOCS, so it is unbounded.
MAX_DOCS = 1 << 62


def section(cleaned: Cleaned) -> dict[str, Any]:
    """A changed document's review record, for its shard's page file (pagedata.ShardPage)."""
    return review.record_data(cleaned)


def write_page(path: Path, parts: Iterable[Path]) -> None:
    """index.html, its review/ files and removals.jsonl, from the shards' page files in input
    order (pagedata.py: rendered where the documents were cleaned; only joined here)."""
    directory = path.parent / DATA_DIR
    shutil.rmtree(directory, ignore_errors=True)  # the run's own files: rule files are appended to
    directory.mkdir(parents=True)
    joiner = Joiner(directory)
    with files.Joined(path.parent / review.REMOVALS) as removals:  # each shard's copied whole
        for part in parts:
            joiner.add(part)
            removals.add(removals_file(part))
        removals.finish()
    data = joiner.finish()
    with atomic_open(path) as out:
        _write_html(out, data)


def _write_html(out: BinaryIO, data: dict[str, Any]) -> None:
    out.write(_PAGE_HEAD.encode("utf-8"))
    out.write(b'<script type="application/json" id="data">' + js(data) + b"</script>\n")
    out.write(_PAGE_SCRIPT.encode("utf-8"))


_PAGE_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cleaner review</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#fff;border-bottom:1px solid #ddd;padding:.6em 1em}
h1{font-size:1.15em;margin:0}
h2{font-size:1.05em;margin:1.2em 0 .4em}
main{padding:0 1em 2em;max-width:110em}
table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
button.rule{font-family:ui-monospace,monospace;font-size:12.5px;cursor:pointer;border:1px solid #bbb;background:#f4f4f4;border-radius:3px}
button.rule.on{background:#246;color:#fff}
.item{background:#fff;border:1px solid #ddd;border-radius:6px;margin:.6em 0;padding:.3em .8em}
.item h3{font-size:.95em;margin:.2em 0;font-family:ui-monospace,monospace;font-weight:normal;white-space:pre-wrap}
.l{white-space:pre-wrap;margin:0;padding:1px 4px;border-left:3px solid transparent;font-family:ui-monospace,monospace;font-size:12.5px}
.l.ctx{color:#555}
.l.drop{text-decoration:line-through;color:#a33;background:#fff1f1;border-left-color:#d33}
.l.fix{background:#f1f7ff;border-left-color:#39f}
.l.this{font-weight:600}
.tag{display:inline-block;margin-left:.6em;padding:0 .4em;border-radius:3px;background:#eee;color:#333;font-size:11px;text-decoration:none}
.note{color:#666}
a.doc{cursor:pointer;color:#246;text-decoration:underline}
</style></head><body>
<header><h1>cleaner review</h1><div id="totals" class="note"></div></header>
<main>
<h2>Rules</h2>
<p class="note">Counts over the whole corpus (as in summary.md). Pick a rule to see a sample of what it did, in context.</p>
<table id="rules"><thead><tr><th>rule</th><th>kind</th><th class="n">lines</th><th class="n">characters</th><th class="n">documents</th></tr></thead><tbody></tbody></table>
<section id="rule" hidden><h2 id="rule-title"></h2><p id="rule-note" class="note"></p><div id="rule-items"></div>
<button type="button" id="rule-more" hidden>show more</button></section>
<h2>Documents</h2>
<p class="note">Changed documents, in input order. Filter: <span id="filter"></span>
<button type="button" id="all">all</button></p>
<div id="docs"></div><button type="button" id="docs-more" hidden>more documents</button>
<section id="doc" hidden><h2 id="doc-title"></h2><div id="doc-lines"></div></section>
</main>
"""

_PAGE_SCRIPT = """<script>
(function(){
"use strict";
var D=JSON.parse(document.getElementById("data").textContent);
var store={s:{},r:{},l:{},d:{}},waiting={};
window.cleanerLoaded=function(kind,args){
  if(kind==="s"){store.s[args[0]]=args[1];}
  else if(kind==="r"){var k=args[0]+"-"+args[1];store.r[k]=(store.r[k]||[]).concat(args[2]);}
  else{store[kind][args[0]]=args[1];}
};
function load(name,done){
  var key=name;
  if(waiting[key]){waiting[key].push(done);return;}
  waiting[key]=[done];
  var s=document.createElement("script");
  s.src=D.dir+"/"+name+".js";
  s.onload=function(){var w=waiting[key];waiting[key]=null;w.forEach(function(f){f(true);});};
  s.onerror=function(){var w=waiting[key];waiting[key]=null;w.forEach(function(f){f(false);});};
  document.head.appendChild(s);
}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=String(text);return e;}
function tag(label){return el("span","tag",label);}
var byIndex={};D.rules.forEach(function(r){byIndex[r.i]=r;});
var partial=D.whole<D.documents;
document.getElementById("totals").textContent=D.documents+" changed documents, "+D.layout_only+" of them changed only by layout; "+D.rules.length+" rules and repairs acted."+(partial?" The input is over the review budget (--review-budget): the page keeps "+D.whole+" of the documents whole, chosen by id; removals.jsonl and the diffs hold every one.":"");
var tbody=document.querySelector("#rules tbody"),filter=document.getElementById("filter");
var current=null,docFilter=null;
D.rules.forEach(function(r){
  var tr=el("tr"),td=el("td"),b=el("button","rule",r.rule);
  b.type="button";b.dataset.i=r.i;b.addEventListener("click",function(){showRule(r.i);});
  td.appendChild(b);tr.appendChild(td);tr.appendChild(el("td","",r.kind));
  tr.appendChild(el("td","n",r.lines));tr.appendChild(el("td","n",r.chars));tr.appendChild(el("td","n",r.docs));
  tbody.appendChild(tr);
  var f=el("button","rule",r.rule);f.type="button";f.dataset.i=r.i;
  f.addEventListener("click",function(){setFilter(r.i);});filter.appendChild(f);filter.appendChild(document.createTextNode(" "));
});
function line(row,cls){
  var fate=row[1],p;
  if(fate==="-"){p=el("p","l drop "+(cls||""),row[3]);p.appendChild(tag(row[2]));}
  else if(fate==="~"){p=el("p","l fix "+(cls||""),row[3]);p.appendChild(tag(row[2]));}
  else{p=el("p","l "+(cls||"ctx"),row[3]);}
  return p;
}
/* a changed line's original: review.edit's [prefix, suffix, middle], counted in code points */
function was(o,text){
  if(!Array.isArray(o))return o;
  var cs=Array.from(text);
  return cs.slice(0,o[0]).join("")+o[2]+cs.slice(cs.length-o[1]).join("");
}
function item(r,e){
  var box=el("div","item"),h=el("h3"),a=el("a","doc","document #"+e[0]);
  a.addEventListener("click",function(){showDoc(e[0]);});
  h.appendChild(a);h.appendChild(document.createTextNode(" line "+e[1]));box.appendChild(h);
  e[3].forEach(function(row){box.appendChild(line(row));});
  var me=e[5]===null?[e[1],"-",r.rule,e[2]]:[e[1],"~",r.rule,e[5]];
  box.appendChild(line(me,"this"));
  if(e[5]!==null)box.appendChild(el("p","l ctx","was: "+was(e[2],e[5])));
  e[4].forEach(function(row){box.appendChild(line(row));});
  return box;
}
var ruleItems=document.getElementById("rule-items"),more=document.getElementById("rule-more"),part=0;
function showRule(i){
  var r=byIndex[i];current=i;part=0;
  [].forEach.call(tbody.querySelectorAll("button.rule"),function(b){b.classList.toggle("on",+b.dataset.i===i);});
  document.getElementById("rule").hidden=false;
  document.getElementById("rule-title").textContent=r.rule;
  ruleItems.textContent="";more.hidden=true;
  document.getElementById("rule-note").textContent="loading...";
  load("s"+i,function(ok){
    if(current!==i)return;
    var got=store.s[i]||[];
    document.getElementById("rule-note").textContent=ok?((partial?"acted on in "+r.docs+" documents, "+r.entries+" lines of them in the documents the page keeps whole":r.entries+" lines acted on in "+r.docs+" documents")+"; a sample of "+got.length+" from every document, the same on every run:"):"could not load "+D.dir+"/s"+i+".js";
    got.forEach(function(e){ruleItems.appendChild(item(r,e));});
    more.hidden=!(r.parts>0&&(partial||r.entries>got.length));more.textContent="show all "+r.entries+(partial?" in the documents kept whole":"");
  });
}
more.addEventListener("click",function(){
  var i=current,r=byIndex[i];
  if(part===0)ruleItems.textContent="";
  load("r"+i+"-"+part,function(){
    (store.r[i+"-"+part]||[]).forEach(function(e){ruleItems.appendChild(item(r,e));});
    part+=1;more.hidden=part>=r.parts;more.textContent="show more ("+Math.min(part*D.sizes.part,r.entries)+" of "+r.entries+" shown)";
    document.getElementById("rule-note").textContent=r.entries+" lines acted on in "+(partial?"the documents the page keeps whole:":r.docs+" documents:");
  });
});
var docsBox=document.getElementById("docs"),docsMore=document.getElementById("docs-more"),chunk=0,shown=0;
function setFilter(i){
  docFilter=i;
  [].forEach.call(filter.querySelectorAll("button.rule"),function(b){b.classList.toggle("on",i!==null&&+b.dataset.i===i);});
  docsBox.textContent="";chunk=0;shown=0;moreDocs();
}
document.getElementById("all").addEventListener("click",function(){setFilter(null);});
function moreDocs(){
  var chunks=Math.ceil(D.documents/D.sizes.list),target=shown+200;
  function step(){
    if(chunk>=chunks||shown>=target){docsMore.hidden=chunk>=chunks;return;}
    var c=chunk;
    load("l"+c,function(){
      (store.l[c]||[]).forEach(function(d){
        if(docFilter!==null&&d[6].indexOf(docFilter)<0)return;
        var box=el("div","item"),h=el("h3"),a=el("a","doc",d[1]);
        a.addEventListener("click",function(){showDoc(d[0]);});
        h.appendChild(a);
        var note=" "+d[2]+(d[3]?" \\u00b7 site "+d[3]:"")+" \\u00b7 "+d[4]+" \\u2192 "+d[5]+" chars"+(d[7]?" \\u00b7 emptied by "+d[7]:"");
        h.appendChild(document.createTextNode(note));box.appendChild(h);
        if(d[6].length===0)box.appendChild(el("p","note","changed only by layout (blank lines, line breaks)"));
        d[6].forEach(function(i){box.appendChild(tag(byIndex[i].rule));});
        box.dataset.doc=d[0];docsBox.appendChild(box);shown+=1;
      });
      chunk+=1;step();
    });
  }
  step();
}
docsMore.addEventListener("click",moreDocs);
function showDoc(n){
  var c=Math.floor(n/D.sizes.docs);
  load("d"+c,function(ok){
    var d=(store.d[c]||[])[n-c*D.sizes.docs],box=document.getElementById("doc-lines");
    document.getElementById("doc").hidden=false;box.textContent="";
    if(!d){document.getElementById("doc-title").textContent="could not load document #"+n;return;}
    document.getElementById("doc-title").textContent=d.id+" ("+d.source+")";
    if(d.lines===null){box.appendChild(el("p","note","Not kept whole on this page: the input is over the review budget (--review-budget), so the page keeps a share of the documents whole, chosen by id. This document's removals are in removals.jsonl and in its file's diff."));}
    else d.lines.forEach(function(row){box.appendChild(line(row,row[1]===" "?"kept":""));});
    document.getElementById("doc").scrollIntoView();
  });
}
setFilter(null);
})();
</script></body></html>
"""
