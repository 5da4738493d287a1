/**
 * Rendering model output as DOM: a small markdown subset (paragraphs, line breaks, bold,
 * italic, code, fenced code, lists, headings as bold lines, quotes, links) built with DOM
 * APIs, never HTML from the model. Only absolute http(s) and mailto links survive.
 */
export function el(tag, attrs, children) {
  var node = document.createElement(tag);
  for (var name in attrs || {}) {
    var value = attrs[name];
    if (value == null || value === false) continue;
    if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  (children || []).forEach(function (child) {
    if (child) node.append(child);
  });
  return node;
}

export function icon(path) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var shape = document.createElementNS(ns, "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

/** Only absolute http(s) and mailto links survive; javascript:, data: and the rest don't. */
function safeHref(href) {
  try {
    var url = new URL(href);
    return ["http:", "https:", "mailto:"].indexOf(url.protocol) >= 0 ? url.href : null;
  } catch (e) {
    return null;
  }
}

var INLINE =
  /(`{1,3})(?=[^`])([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?=\S)([\s\S]*?\S)\*|\b_(?=\S)([\s\S]*?\S)_\b|\[([^[\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

/** Inline markdown (code, bold, italic, links) as DOM nodes appended to parent. */
function inline(parent, text) {
  var last = 0;
  var match;
  var regex = new RegExp(INLINE.source, "g");
  while ((match = regex.exec(text))) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    last = regex.lastIndex;
    if (match[2] != null) parent.append(el("code", { text: match[2] }));
    else if (match[3] != null || match[4] != null)
      inline(parent.appendChild(el("strong")), match[3] || match[4]);
    else if (match[5] != null || match[6] != null)
      inline(parent.appendChild(el("em")), match[5] || match[6]);
    else {
      var href = safeHref(match[8] || match[9]);
      var label = match[7] || match[9];
      if (!href) parent.append(label);
      else
        inline(
          parent.appendChild(
            el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow" })
          ),
          label
        );
    }
  }
  if (last < text.length) parent.append(text.slice(last));
}

/** A small markdown subset built with DOM APIs: never HTML from the model. */
export function markdown(text) {
  var out = document.createDocumentFragment();
  var lines = text.split("\n");
  var paragraph = [];
  var list = null;
  function flush() {
    if (paragraph.length) {
      var p = el("p");
      paragraph.forEach(function (line, i) {
        if (i) p.append(el("br"));
        inline(p, line);
      });
      out.append(p);
    }
    paragraph = [];
  }
  for (var i = 0; i < lines.length; i++) {
    var line = lines[i];
    var item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (/^\s*```/.test(line)) {
      flush();
      list = null;
      var code = [];
      while (++i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i]);
      out.append(el("pre", {}, [el("code", { text: code.join("\n") })]));
    } else if (item) {
      flush();
      var tag = item[1] ? "ul" : "ol";
      if (!list || list.tagName.toLowerCase() !== tag) out.append((list = el(tag)));
      inline(list.appendChild(el("li")), item[3]);
    } else if (/^\s*$/.test(line)) {
      flush();
      list = null;
    } else if (/^#{1,6}\s/.test(line)) {
      flush();
      list = null;
      inline(out.appendChild(el("p", { class: "h" })), line.replace(/^#+\s+/, ""));
    } else if (/^>\s?/.test(line)) {
      flush();
      list = null;
      inline(out.appendChild(el("blockquote")), line.replace(/^>\s?/, ""));
    } else {
      list = null;
      paragraph.push(line);
    }
  }
  flush();
  return out;
}
