/*
 * cellchat patient widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-title="..." data-greeting="..."
 *           data-suggestions="question 1|question 2" async></script>
 * It adds a launcher button and a chat panel inside a shadow root, talks
 * websocket protocol v1 to the server it was loaded from, and renders every
 * question, answer and source as text (never as markup).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src]");
    for (var i = 0; i < all.length; i++) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) { script = all[i]; }
    }
  }
  if (!script || window.__cellchatWidget) { return; }
  window.__cellchatWidget = true;

  var base = new URL(script.src, document.baseURI);
  var wsURL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws";
  var title = script.getAttribute("data-title") || "Cell therapy questions";
  var greeting = script.getAttribute("data-greeting") ||
    "Hello! I answer questions about cell therapy from trusted patient-education sources.";
  var suggestions = (script.getAttribute("data-suggestions") || "")
    .split("|").map(function (s) { return s.trim(); }).filter(Boolean);
  var storeKey = "cellchat:conversation:" + base.host;
  // The id opens the conversation's history, so by default it lasts as long
  // as the tab: the next person at a shared computer does not get it. A site
  // whose patients use their own devices may opt in to keeping it.
  var remember = (script.getAttribute("data-remember") || "").toLowerCase() === "local";
  var openKey = "cellchat:open:" + base.host;
  // How to get urgent help, shown while the bot cannot be reached: the
  // page's own text, else the server's emergency text from the last hello,
  // else a general one.
  var urgentKey = "cellchat:urgent:" + base.host;
  var DEFAULT_URGENT = "If you need urgent help, do not wait for the chat: call your care team, or your local emergency number now.";
  var pageUrgent = script.getAttribute("data-urgent") || "";
  var MAX_CHARS = 2000;

  var CSS = [
    ":host{all:initial;position:fixed;z-index:2147483000;right:16px;bottom:16px;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f24}",
    "*,*::before,*::after{box-sizing:border-box}",
    "button,textarea{font:inherit;color:inherit}",
    ":focus-visible{outline:3px solid #0a4f99;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".launcher{display:flex;align-items:center;gap:8px;margin-left:auto;border:0;border-radius:28px;padding:14px 20px;background:#0a4f99;color:#fff;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher:hover{background:#083f7a}",
    ".launcher:focus-visible{outline-color:#1b1f24;outline-offset:3px}",
    // dvh is the viewport a mobile browser's toolbars leave; vh first for
    // engines without it.
    ".panel{display:flex;flex-direction:column;width:min(400px,calc(100vw - 32px));height:min(620px,calc(100vh - 104px));height:min(620px,calc(100dvh - 104px));margin-bottom:12px;background:#fff;border:1px solid #c5ccd3;border-radius:14px;box-shadow:0 10px 32px rgba(0,0,0,.25);overflow:hidden}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;gap:6px;padding:6px 6px 6px 14px;background:#0a4f99;color:#fff}",
    ".head h2{flex:1;min-width:0;margin:0;font-size:1.05em;line-height:1.2;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".hbtn{min-width:44px;min-height:44px;border:1px solid rgba(255,255,255,.7);border-radius:8px;background:transparent;color:#fff;padding:6px 10px;cursor:pointer;font-size:.85em}",
    ".hbtn:hover{background:rgba(255,255,255,.15)}",
    ".hbtn:focus-visible{outline-color:#fff}",
    ".tools{display:flex;flex-wrap:wrap;gap:0 12px;padding:0 6px;background:#fff}",
    ".forget{min-height:44px;border:0;background:none;color:#0a4f99;text-decoration:underline;cursor:pointer;font-size:.8em;padding:0 6px;margin:0}",
    ".conn{padding:6px 14px;font-size:.85em;background:#fff4d6;color:#5c4100;border-bottom:1px solid #e8d49a}",
    ".conn .urgent-help{display:block;margin-top:4px;font-weight:600;color:#5f0010}",
    ".conn[hidden]{display:none}",
    ".msgs{flex:1;overflow-y:auto;padding:12px;background:#f5f7f9}",
    ".msg{max-width:92%;margin:0 0 12px;padding:10px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".user{margin-left:auto;background:#0a4f99;color:#fff;border-bottom-right-radius:4px}",
    ".bot{background:#fff;border:1px solid #d5dbe1;border-bottom-left-radius:4px}",
    ".bot.streaming .text::after{content:'\\2026';color:#59636e}",
    ".bot.emergency{background:#fff0f0;border:3px solid #b00020;color:#5f0010}",
    ".urgent{display:block;font-weight:700;font-size:1.05em;color:#b00020;margin-bottom:4px}",
    ".bot.error{background:#fff0f0;border-color:#b00020;color:#7a0015}",
    ".bot.no_answer,.bot.referral{border-left:4px solid #7a5b00}",
    // A marker stays small in the text; its ::after widens what a finger can hit to 44x44.
    ".cite{position:relative;border:1px solid #0a4f99;border-radius:6px;background:#e8f0fa;color:#0a4f99;font-size:.8em;font-weight:700;padding:0 5px;margin:0 1px;cursor:pointer;vertical-align:baseline}",
    ".cite::after{content:'';position:absolute;left:50%;top:50%;width:44px;height:44px;transform:translate(-50%,-50%)}",
    ".cite[aria-expanded=true]{background:#0a4f99;color:#fff}",
    ".source{display:block;margin:8px 0;padding:8px 10px;border-left:4px solid #0a4f99;background:#eef3f8;white-space:normal;font-size:.92em;font-style:normal;font-weight:400}",
    ".source+.source{margin-top:0}",
    ".source[hidden]{display:none}",
    ".source a{color:#0a4f99;font-weight:600}",
    ".source .sec{display:block;color:#3d4752;font-size:.9em;margin:2px 0 4px}",
    ".source .pub{display:block;color:#3d4752;font-size:.85em;margin:0 0 4px}",
    ".source .pub:empty{display:none}",
    ".source .quote{display:block;font-style:italic;color:#1b1f24}",
    ".sources{margin:8px 0 0;padding:0;list-style:none;white-space:normal;font-size:.88em}",
    ".sources li{margin:0}",
    ".srcbtn{min-height:44px;border:0;background:none;padding:4px 0;color:#0a4f99;text-decoration:underline;cursor:pointer;text-align:left}",
    ".reviewed{display:block;margin-top:6px;font-size:.85em;font-weight:600;color:#1d6b35}",
    ".disclaimer{display:block;margin-top:8px;padding-top:6px;border-top:1px solid #e1e6ea;font-size:.8em;color:#434c56;white-space:normal}",
    ".fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px;white-space:normal;font-size:.85em;color:#434c56}",
    ".fbtn{display:inline-flex;align-items:center;justify-content:center;min-width:44px;min-height:44px;border:1px solid #6b7580;border-radius:8px;background:#fff;color:#1b1f24;padding:4px 9px;cursor:pointer;font-size:1em}",
    ".fbtn[aria-pressed=true]{background:#0a4f99;border-color:#0a4f99;color:#fff}",
    ".fbform{display:flex;gap:6px;width:100%}",
    ".fbform[hidden]{display:none}",
    ".fbform textarea{flex:1;min-height:2.4em;resize:vertical;border:1px solid #8a949e;border-radius:8px;padding:4px 6px;font-size:.95em}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 12px}",
    ".chip{min-height:44px;border:1px solid #0a4f99;border-radius:22px;background:#fff;color:#0a4f99;padding:5px 11px;cursor:pointer;font-size:.9em;text-align:left}",
    ".chip:hover{background:#e8f0fa}",
    ".hello-disc{font-size:.8em;color:#434c56;margin:0 0 12px}",
    "form.ask{display:flex;gap:8px;padding:10px;border-top:1px solid #d5dbe1;background:#fff}",
    // min-width:0: a textarea's own width (Firefox's is 20 columns wide)
    // would otherwise push Send out of a narrow panel.
    "form.ask textarea{flex:1 1 0;min-width:0;min-height:44px;max-height:120px;resize:none;border:1px solid #6b7580;border-radius:10px;padding:10px}",
    ".send{flex:none;border:0;border-radius:10px;background:#0a4f99;color:#fff;padding:0 16px;font-weight:600;cursor:pointer;min-width:64px}",
    ".send:disabled{background:#6b7580;cursor:not-allowed}",
    ".status{min-height:0;padding:0 12px;font-size:.85em;color:#7a0015;background:#fff}",
    ".status:not(:empty){padding:6px 12px}",
    ".count{align-self:center;font-size:.75em;color:#434c56}",
    // On a phone the open panel is the whole screen, and the launcher is
    // hidden under it: the panel's own Close button closes it.
    "@media (max-width:480px){:host{right:8px;left:8px;bottom:8px}" +
      ":host([data-open]){top:0;right:0;bottom:0;left:0}" +
      ":host([data-open]) .launcher{display:none}" +
      ".panel{width:100%;height:100vh;height:100dvh;margin:0;border:0;border-radius:0;box-shadow:none}}",
    "@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .15s}}"
  ].join("\n");

  // el builds an element; text children become text nodes, never markup.
  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] === null || attrs[k] === undefined) { return; }
        if (k === "class") { n.className = attrs[k]; }
        else if (k === "text") { n.textContent = attrs[k]; }
        else if (k === "hidden") { n.hidden = !!attrs[k]; }
        else if (k.indexOf("on") === 0) { n.addEventListener(k.slice(2), attrs[k]); }
        else { n.setAttribute(k, attrs[k]); }
      });
    }
    (children || []).forEach(function (c) {
      n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return n;
  }

  // icon draws a small SVG (speech bubble, thumbs): emoji fonts are not
  // on every device.
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    up: "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z",
    down: "M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z"
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function safeURL(u) {
    try {
      var p = new URL(u);
      return (p.protocol === "https:" || p.protocol === "http:") ? p.href : "";
    } catch (e) { return ""; }
  }

  // ---- DOM ----
  // A custom element, so the page's rules for div, section, etc. never
  // match the host; the few properties that could hide it are pinned.
  var host = el("cellchat-widget", { id: "cellchat-widget" });
  host.style.cssText = "display:block !important;visibility:visible !important;opacity:1 !important;" +
    "position:fixed !important;z-index:2147483000 !important;transform:none !important";
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", { text: CSS }));
  }

  var uid = 0;
  function nextID(p) { uid += 1; return p + uid; }

  var panelID = "cc-panel";
  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": panelID },
    [icon("chat"), title]);
  var msgs = el("div", { class: "msgs", role: "log", "aria-live": "off", "aria-label": "Conversation", tabindex: "0" });
  var live = el("div", { class: "sr", "aria-live": "polite", "aria-atomic": "true" });
  var alertRegion = el("div", { class: "sr", role: "alert" });
  var conn = el("div", { class: "conn", role: "status", hidden: true });
  var status = el("div", { class: "status", role: "status", "aria-live": "polite" });
  var input = el("textarea", { id: "cc-input", rows: "1", maxlength: String(MAX_CHARS), placeholder: "Type your question…", "aria-describedby": "cc-count", autocomplete: "off" });
  var count = el("span", { class: "count", id: "cc-count", "aria-live": "polite" });
  var sendBtn = el("button", { class: "send", type: "submit", text: "Send" });
  var form = el("form", { class: "ask", "aria-label": "Ask a question" }, [
    el("label", { class: "sr", for: "cc-input", text: "Your question" }), input, count, sendBtn
  ]);
  var newBtn = el("button", { class: "forget", type: "button", text: "New conversation" });
  var forgetBtn = el("button", { class: "forget", type: "button", text: "Forget this conversation" });
  // The visible word is the button's name; the cross is decoration.
  var closeBtn = el("button", { class: "hbtn close", type: "button" }, [el("span", { "aria-hidden": "true", text: "\u2715 " }), "Close"]);
  var headingID = "cc-title";
  // A div, not a header: inside the widget a header would be a second
  // banner landmark of the clinic's page.
  var panel = el("section", { class: "panel", id: panelID, role: "dialog", "aria-labelledby": headingID, hidden: true }, [
    el("div", { class: "head" }, [el("h2", { id: headingID, title: title, text: title }), closeBtn]),
    conn, msgs, status, form, el("div", { class: "tools" }, [newBtn, forgetBtn]), live, alertRegion
  ]);
  root.appendChild(panel);
  root.appendChild(launcher);

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  // ---- state ----
  var ws = null;
  var online = false;
  if (!remember) { dropRemembered(storeKey); }
  var conversationID = load(storeKey);
  var backoff = 1000;
  var reconnectTimer = null;
  var pending = {}; // ask id -> {bubble, textNode}
  var everOpened = false;

  function idStore() { return remember ? localStorage : sessionStorage; }
  function load(k) { try { return idStore().getItem(k) || ""; } catch (e) { return ""; } }
  function save(k, v) { try { if (v) { idStore().setItem(k, v); } else { idStore().removeItem(k); } } catch (e) { /* private mode */ } }
  // Earlier versions kept the id in localStorage whatever the site wanted.
  function dropRemembered(k) { try { localStorage.removeItem(k); } catch (e) { /* private mode */ } }
  function loadSession(k) { try { return sessionStorage.getItem(k) === "1"; } catch (e) { return false; } }
  function saveSession(k, v) { try { sessionStorage.setItem(k, v ? "1" : "0"); } catch (e) { /* ignore */ } }

  // ---- rendering ----
  function scrollDown() { msgs.scrollTop = msgs.scrollHeight; }

  // A new answer is read from its start: the view is pinned so the
  // question (or, for a long question, the answer's first line) is at the
  // top, and stays there while the answer streams in below, until the
  // patient scrolls themselves.
  var pinned = null; // the element kept at the top of the view
  var PIN_GAP = 8;   // px of the message above left in view
  function pinTo(question, answer) {
    pinned = question.offsetHeight > msgs.clientHeight / 3 ? answer : question;
    keepPinned();
  }
  function keepPinned() {
    if (!pinned || panel.hidden) { return; } // a closed panel has no layout to measure
    var top = pinned.getBoundingClientRect().top - msgs.getBoundingClientRect().top + msgs.scrollTop - PIN_GAP;
    msgs.scrollTop = Math.max(0, top);
  }
  function unpin() { pinned = null; }
  ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (t) {
    msgs.addEventListener(t, function (e) {
      // Keys that do not scroll (Tab to a citation) leave the view pinned.
      if (t === "keydown" && !/^(Arrow|Page|Home|End| $)/.test(e.key)) { return; }
      unpin();
    }, { passive: true });
  });

  function renderIntro(disclaimer) {
    msgs.textContent = "";
    msgs.appendChild(el("div", { class: "msg bot" }, [greeting]));
    if (disclaimer) { msgs.appendChild(el("p", { class: "hello-disc", text: disclaimer })); }
    if (suggestions.length) {
      var chips = el("div", { class: "chips", role: "group", "aria-label": "Suggested questions" });
      suggestions.forEach(function (q) {
        chips.appendChild(el("button", { class: "chip", type: "button", text: q, onclick: function () { ask(q); } }));
      });
      msgs.appendChild(chips);
    }
  }

  function addUser(text) {
    var b = el("div", { class: "msg user" }, [el("span", { class: "sr", text: "You: " }), text]);
    msgs.appendChild(b);
    return b;
  }

  function addBotPlaceholder(question) {
    var textNode = el("span", { class: "text" });
    var b = el("div", { class: "msg bot streaming", "aria-busy": "true" }, [el("span", { class: "sr", text: "Assistant: " }), textNode]);
    msgs.appendChild(b);
    pinTo(question, b);
    return { bubble: b, text: textNode };
  }

  // sourceDetails is who published a source and when it was reviewed.
  function sourceDetails(c) {
    var parts = [];
    if (c.publisher) { parts.push(c.publisher); }
    if (c.reviewed) { parts.push("reviewed " + c.reviewed); }
    return el("span", { class: "pub", text: parts.join(" \u00B7 ") });
  }

  // sourceView shows one cited passage: where it is from and its words.
  function sourceView(c, id) {
    var href = safeURL(c.url);
    var head = href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: c.title || c.doc_id })
      : el("strong", { text: c.title || c.doc_id });
    return el("span", { class: "source", id: id, hidden: true, role: "region", "aria-label": "Source " + c.n }, [
      el("span", { text: "[" + c.n + "] " }), head,
      el("span", { class: "sec", text: c.section || "" }),
      sourceDetails(c),
      el("span", { class: "quote", text: c.passage || "" })
    ]);
  }

  // toggle makes btn open and close view, which sits next to it.
  function toggle(btn, view) {
    btn.setAttribute("aria-expanded", "false");
    btn.setAttribute("aria-controls", view.id);
    btn.addEventListener("click", function () {
      var open = view.hidden;
      view.hidden = !open;
      btn.setAttribute("aria-expanded", String(open));
    });
    return btn;
  }

  // renderAnswer fills a bubble with the answer: text with citation
  // markers, each opening its passage beside it, the sources (one entry per
  // document and section), the disclaimer and feedback controls. An
  // emergency message is not general information: it has neither the
  // disclaimer nor the thumbs.
  function renderAnswer(bubble, a, rated) {
    bubble.textContent = "";
    bubble.className = "msg bot " + (a.kind || "answer");
    bubble.removeAttribute("aria-busy");
    var byN = {};
    (a.citations || []).forEach(function (c) { byN[c.n] = c; });
    bubble.appendChild(el("span", { class: "sr", text: "Assistant: " }));
    var urgent = a.kind === "emergency";
    if (urgent) {
      bubble.setAttribute("role", "alert");
      bubble.appendChild(el("strong", { class: "urgent", text: "\u26A0 Urgent: get help now" }));
    }
    var text = el("span", { class: "text" });
    var re = /\[(\d+)\]/g, last = 0, m, s = a.text || "";
    while ((m = re.exec(s)) !== null) {
      var c = byN[Number(m[1])];
      if (!c) { continue; }
      text.appendChild(document.createTextNode(s.slice(last, m.index)));
      var view = sourceView(c, nextID("cc-src-"));
      text.appendChild(toggle(el("button", { class: "cite", type: "button", "aria-label": "Source " + c.n + ": " + (c.title || c.doc_id), text: "[" + c.n + "]" }), view));
      // The passage opens after the sentence's closing stop, not inside it.
      last = m.index + m[0].length;
      var stop = /^[.,;:!?)\u201d\u2019"']*\s*/.exec(s.slice(last))[0];
      text.appendChild(document.createTextNode(stop));
      text.appendChild(view);
      last += stop.length;
    }
    text.appendChild(document.createTextNode(s.slice(last)));
    bubble.appendChild(text);
    // An answer from the care team's library says who checked it and when.
    if (a.reviewed && a.reviewed.date) {
      bubble.appendChild(el("small", { class: "reviewed", text: "\u2714 Reviewed by your " + (a.reviewed.by || "care team") + " on " + a.reviewed.date }));
    }
    var groups = sourceGroups(a.citations || []);
    if (groups.length) {
      var list = el("ul", { class: "sources", "aria-label": "Sources" });
      groups.forEach(function (g) {
        var ns = g.map(function (c) { return "[" + c.n + "]"; }).join("");
        var label = ns + " " + (g[0].title || g[0].doc_id) + (g[0].section && g[0].section !== g[0].title ? " \u2014 " + g[0].section : "");
        var views = el("span", { id: nextID("cc-srcs-"), hidden: true }, g.map(function (c) {
          var v = sourceView(c, nextID("cc-src-"));
          v.hidden = false;
          return v;
        }));
        list.appendChild(el("li", null, [toggle(el("button", { class: "srcbtn", type: "button", text: label }), views), views]));
      });
      bubble.appendChild(list);
    }
    if (!urgent) {
      bubble.appendChild(el("small", { class: "disclaimer", text: a.disclaimer || "" }));
      if (a.answer_id) { bubble.appendChild(feedbackControls(a.answer_id, rated)); }
    }
  }

  // sourceGroups gathers citations by document and section, in the order
  // first cited: two passages of one section are one source to a reader.
  function sourceGroups(cites) {
    var byKey = {}, out = [];
    cites.slice().sort(function (x, y) { return x.n - y.n; }).forEach(function (c) {
      var k = (c.doc_id || "") + "\u0000" + (c.section || "");
      if (!byKey[k]) { byKey[k] = []; out.push(byKey[k]); }
      byKey[k].push(c);
    });
    return out;
  }

  // feedbackControls offers one rating per answer: a later click replaces
  // it, and a comment goes with the rating chosen. rated is the rating the
  // server already has (a resumed conversation), shown as pressed.
  function feedbackControls(answerID, rated) {
    var wrap = el("div", { class: "fb", role: "group", "aria-label": "Was this answer helpful?" });
    var note = el("span", { text: "Helpful?" });
    var up = el("button", { class: "fbtn", type: "button", "aria-pressed": "false", "aria-label": "Yes, helpful" }, [icon("up")]);
    var down = el("button", { class: "fbtn", type: "button", "aria-pressed": "false", "aria-label": "No, not helpful" }, [icon("down")]);
    var cid = nextID("cc-fb-");
    var comment = el("textarea", { id: cid, rows: "2", maxlength: "2000", placeholder: "Optional comment" });
    var sendC = el("button", { class: "fbtn", type: "submit", text: "Send comment" });
    var cform = el("form", { class: "fbform", hidden: true }, [el("label", { class: "sr", for: cid, text: "Comment on this answer (optional)" }), comment, sendC]);
    var rating = "";
    var commented = false;
    function show(r) {
      rating = r;
      up.setAttribute("aria-pressed", String(r === "up"));
      down.setAttribute("aria-pressed", String(r === "down"));
    }
    function rate(r) {
      if (!send({ type: "feedback", answer_id: answerID, rating: r, comment: "" })) { return; }
      show(r);
      note.textContent = commented ? "Thanks, your rating was changed." : "Thanks for your feedback.";
      cform.hidden = commented;
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
    cform.addEventListener("submit", function (e) {
      e.preventDefault();
      var t = comment.value.trim();
      if (!t || !rating) { return; }
      if (!send({ type: "feedback", answer_id: answerID, rating: rating, comment: t })) { return; }
      commented = true;
      cform.hidden = true;
      note.textContent = "Thanks, your comment was sent.";
    });
    if (rated && (rated.rating === "up" || rated.rating === "down")) {
      show(rated.rating);
      commented = !!rated.comment;
      note.textContent = commented ? "Thanks, your rating and comment were sent." : "Thanks for your feedback.";
    }
    wrap.appendChild(note);
    wrap.appendChild(up);
    wrap.appendChild(down);
    wrap.appendChild(cform);
    return wrap;
  }

  function renderError(bubble, message) {
    bubble.textContent = "";
    bubble.className = "msg bot error";
    bubble.removeAttribute("aria-busy");
    bubble.appendChild(el("span", { class: "sr", text: "Error: " }));
    bubble.appendChild(document.createTextNode(message));
  }

  function announce(a) {
    var region = a.kind === "emergency" ? alertRegion : live;
    region.textContent = "";
    region.textContent = "Answer: " + (a.text || "").replace(/\[\d+\]/g, "") + (a.kind === "emergency" ? "" : " " + (a.disclaimer || ""));
  }

  // ---- connection ----
  // setOnline shows whether the bot can be reached; offline, the notice
  // also says how to get urgent help, since the bot cannot.
  function setOnline(on, message, withUrgent) {
    online = on;
    sendBtn.disabled = !on;
    conn.hidden = on;
    if (on) { return; }
    conn.textContent = message;
    if (withUrgent) { conn.appendChild(el("span", { class: "urgent-help", text: urgentHelp() })); }
  }
  function urgentHelp() {
    if (pageUrgent) { return pageUrgent; }
    try { return localStorage.getItem(urgentKey) || DEFAULT_URGENT; } catch (e) { return DEFAULT_URGENT; }
  }

  function connect(quiet) {
    if (ws || reconnectTimer) { return; }
    if (!quiet) { setOnline(false, "Connecting…"); }
    var url = wsURL + (conversationID ? "?conversation=" + encodeURIComponent(conversationID) : "");
    var sock;
    try { sock = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    sock.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      handle(f);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) { return; }
      ws = null;
      Object.keys(pending).forEach(function (id) {
        renderError(pending[id].bubble, "The connection was lost before the answer arrived. Please ask again.");
        delete pending[id];
      });
      // A socket closed for its age (the server answered everything first)
      // is replaced at once, without telling the patient they are offline.
      if (ev && ev.code === 1001 && /lifetime/.test(ev.reason || "")) { backoff = 1000; connect(true); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    var delay = Math.min(backoff, 30000);
    delay = Math.round(delay * (0.75 + Math.random() * 0.5));
    backoff = Math.min(backoff * 2, 30000);
    setOnline(false, "You are offline. Reconnecting in " + Math.ceil(delay / 1000) + " s…", true);
    reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    backoff = 1000;
    connect();
  }
  window.addEventListener("online", function () { if (!ws && everOpened) { reconnectNow(); } });

  function send(obj) {
    if (!ws || ws.readyState !== 1) {
      status.textContent = "You are offline; your message was not sent. It will work again once reconnected.";
      return false;
    }
    ws.send(JSON.stringify(obj));
    return true;
  }

  function handle(f) {
    switch (f.type) {
      case "hello":
        backoff = 1000;
        conversationID = f.conversation_id;
        save(storeKey, conversationID);
        if (f.max_question_chars > 0) {
          MAX_CHARS = f.max_question_chars;
          input.setAttribute("maxlength", String(MAX_CHARS));
        }
        if (f.urgent_help) {
          // Not identifying, and wanted when the server cannot be reached.
          try { localStorage.setItem(urgentKey, f.urgent_help); } catch (e) { /* private mode */ }
        }
        pending = {};
        renderIntro(f.disclaimer);
        (f.history || []).forEach(function (h) {
          var p = addBotPlaceholder(addUser(h.question));
          renderAnswer(p.bubble, h.answer || {}, h.feedback);
        });
        if (!(f.history || []).length) { unpin(); scrollDown(); }
        setOnline(true);
        status.textContent = "";
        break;
      case "delta":
        if (pending[f.id]) { pending[f.id].text.appendChild(document.createTextNode(f.text)); keepPinned(); }
        break;
      case "answer":
        if (pending[f.id]) {
          renderAnswer(pending[f.id].bubble, f);
          delete pending[f.id];
          announce(f);
          keepPinned();
        }
        break;
      case "ack":
        break;
      case "error":
        var msg = f.message || "Something went wrong.";
        if (f.code === "rate_limited") { msg = "You are sending messages too quickly. Please wait a few seconds and try again."; }
        if (f.id && pending[f.id]) {
          renderError(pending[f.id].bubble, msg);
          delete pending[f.id];
        } else {
          status.textContent = msg;
        }
        break;
    }
  }

  function ask(text) {
    text = (text || "").trim();
    if (!text) { return; }
    if (text.length > MAX_CHARS) {
      status.textContent = "Your question is too long (at most " + MAX_CHARS + " characters).";
      return;
    }
    var id = nextID("q");
    if (!send({ type: "ask", id: id, text: text })) { return; }
    status.textContent = "";
    pending[id] = addBotPlaceholder(addUser(text));
    input.value = "";
    updateCount();
  }

  function updateCount() {
    var n = input.value.length;
    count.textContent = n > MAX_CHARS - 200 ? (MAX_CHARS - n) + " left" : "";
  }

  // ---- controls ----
  function openPanel(restoring) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    saveSession(openKey, true);
    host.setAttribute("data-open", "");
    if (!everOpened) { everOpened = true; renderIntro(""); connect(); }
    if (pinned) { keepPinned(); } else { scrollDown(); }
    if (!restoring) { input.focus(); }
  }
  function closePanel() {
    panel.hidden = true;
    host.removeAttribute("data-open");
    launcher.setAttribute("aria-expanded", "false");
    saveSession(openKey, false);
    launcher.focus();
  }
  launcher.addEventListener("click", function () { if (panel.hidden) { openPanel(false); } else { closePanel(); } });
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { closePanel(); } });
  function startOver() {
    conversationID = "";
    save(storeKey, "");
    pending = {};
    renderIntro("");
    var old = ws;
    ws = null;
    if (old) { old.onclose = null; old.close(1000, "new conversation"); }
    reconnectNow();
    input.focus();
  }
  newBtn.addEventListener("click", startOver);
  forgetBtn.addEventListener("click", function () {
    dropRemembered(storeKey);
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    startOver();
    live.textContent = "This conversation was forgotten on this device.";
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); ask(input.value); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); ask(input.value); }
  });
  input.addEventListener("input", updateCount);
  setOnline(false, "Connecting…");

  if (loadSession(openKey)) { openPanel(true); }
})();
