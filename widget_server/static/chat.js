/*!
 * Legion hosted chat page (/chat/<client_id>): conversations kept on the server (SPEC §11),
 * with the token pair of POST /v1/chat/<client_id>/connect (same-origin, session + CSRF).
 * Markdown and the event-stream reader are the widget's (window.LegionChat, /widget.js).
 * Model output is built with DOM APIs only: never innerHTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("chat-app");
  var shared = window.LegionChat;
  if (!root || !shared || !shared.markdown) return;

  var CLIENT_ID = root.dataset.clientId;
  var API = "/v1/chat/" + encodeURIComponent(CLIENT_ID);
  var TOKENS_KEY = "legion:chat:" + CLIENT_ID;
  var S = {
    newChat: "New chat",
    untitled: "New Conversation",
    rename: "Rename conversation",
    renameField: "New title",
    remove: "Delete conversation",
    confirmRemove: "Delete",
    cancel: "Cancel",
    copy: "Copy",
    copied: "Copied",
    copyCode: "Copy code",
    regenerate: "Regenerate",
    good: "Good answer",
    bad: "Bad answer",
    previous: "Previous answer",
    next: "Next answer",
    stopped: "(stopped)",
    failed: "This answer failed.",
    thinking: "Thinking…",
    noConversations: "No conversations yet.",
    noResults: "Nothing found.",
    reconnect: "Your connection to this app ended. Reconnect to keep chatting.",
    reconnectButton: "Reconnect",
    funds: "Your Legion wallet can't cover this. ",
    limit: "This would pass your monthly spending limit. ",
    billingLink: "Open your account",
    rate: "Too many requests right now. Wait a moment and try again.",
    upstream: "The AI service had a problem. Try again.",
    network: "Can't reach Legion. Check your connection and try again.",
    failedGeneric: "Something went wrong: ",
    you: "You",
    assistant: "Assistant",
    sources: "Sources",
  };

  // ------------------------------------------------------------------ DOM

  function $(selector) {
    return root.querySelector(selector);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child != null) node.append(child);
    });
    return node;
  }

  // Material Design icons (Apache 2.0), drawn inline so that no font is needed.
  var ICONS = {
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
    remove: "M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
    rename: "M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z",
  };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  var log = $(".log");
  var intro = $(".intro");
  var alertBox = $(".alert");
  var form = $(".composer");
  var input = $("#question");
  var sendButton = $(".send");
  var stopButton = $(".stop");
  var newChatButton = $(".new-chat");
  var list = $(".conversations");
  var note = $(".sidebar-note");
  var moreButton = $(".more");
  var search = $("#search");
  var title = $(".thread-title");
  var sidebar = $("#sidebar");
  var toggle = $(".sidebar-toggle");

  // ------------------------------------------------------------------ tokens

  function Problem(kind, message, code) {
    var error = new Error(message || kind);
    error.kind = kind;
    error.code = code || "";
    return error;
  }

  var tokens = loadTokens();
  var renewing = null;

  function loadTokens() {
    try {
      return JSON.parse(sessionStorage.getItem(TOKENS_KEY));
    } catch (e) {
      return null;
    }
  }

  function saveTokens(body) {
    tokens = body && {
      access: body.access_token,
      refresh: body.refresh_token,
      until: Date.now() + Math.max(0, body.expires_in - 30) * 1000,
    };
    try {
      if (tokens) sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
      else sessionStorage.removeItem(TOKENS_KEY);
    } catch (e) {
      /* private mode: the tokens live as long as the page */
    }
  }

  /** A fresh pair: the refresh token if there is one, else the page's session. One at a time. */
  function renew() {
    if (!renewing) {
      renewing = refresh()
        .catch(connect)
        .finally(function () {
          renewing = null;
        });
    }
    return renewing;
  }

  async function refresh() {
    if (!tokens || !tokens.refresh) throw Problem("reconnect");
    var response = await fetch("/v1/oauth/token", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh,
        client_id: CLIENT_ID,
      }),
    });
    if (!response.ok) throw Problem("reconnect");
    saveTokens(await response.json());
  }

  async function connect() {
    var response = await fetch(API + "/connect", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": root.dataset.csrf },
    });
    if (!response.ok) {
      saveTokens(null);
      throw await problemOf(response);
    }
    saveTokens(await response.json());
  }

  async function accessToken() {
    if (!tokens || tokens.until < Date.now()) await renew();
    return tokens.access;
  }

  // ------------------------------------------------------------------ API

  async function problemOf(response) {
    var body = await response.json().catch(function () {
      return {};
    });
    var error = body.error || {};
    var status = response.status;
    var kind =
      status === 401 || status === 403
        ? "reconnect"
        : status === 402
          ? error.code === "limit_exceeded"
            ? "limit"
            : "funds"
          : status === 429
            ? "rate"
            : status === 404
              ? "gone"
              : status >= 500
                ? "upstream"
                : "failed";
    return Problem(kind, error.message, error.code);
  }

  /** A call to the conversation API (body: JSON, null included; undefined: none); a 401
   * renews the tokens once and retries. */
  async function call(method, path, body, headers) {
    for (var attempt = 0; ; attempt++) {
      var token = await accessToken();
      var response;
      try {
        response = await fetch(API + path, {
          method: method,
          credentials: "omit",
          headers: Object.assign(
            { Authorization: "Bearer " + token },
            body !== undefined ? { "Content-Type": "application/json" } : {},
            headers || {}
          ),
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (e) {
        throw Problem("network");
      }
      if (response.status === 401 && attempt === 0) {
        tokens.until = 0;
        continue;
      }
      if (!response.ok) throw await problemOf(response);
      return response;
    }
  }

  async function json(method, path, body) {
    var response = await call(method, path, body);
    return response.status === 204 ? null : response.json();
  }

  function conversationPath(id) {
    return "/conversations/" + encodeURIComponent(id);
  }

  // ------------------------------------------------------------------ notices

  function showProblem(error) {
    alertBox.replaceChildren();
    var kind = (error && error.kind) || "failed";
    if (kind === "reconnect") {
      alertBox.append(
        S.reconnect + " ",
        el("button", {
          type: "button",
          text: S.reconnectButton,
          onclick: function () {
            location.reload();
          },
        })
      );
    } else if (kind === "funds" || kind === "limit") {
      alertBox.append(S[kind], el("a", { href: "/account", text: S.billingLink }));
    } else if (kind === "rate" || kind === "upstream" || kind === "network") {
      alertBox.append(S[kind]);
    } else {
      alertBox.append(S.failedGeneric + (error && error.message ? error.message : ""));
    }
    alertBox.hidden = false;
  }

  function clearProblem() {
    alertBox.hidden = true;
    alertBox.replaceChildren();
  }

  // ------------------------------------------------------------------ state

  var state = {
    conversation: null, // the open conversation, or null for a new chat
    branch: [], // its current branch, oldest first
    all: [], // every message of every branch, for the branch switchers
    answering: null, // {answerId, stopAsked, lastId} while an answer streams
    cursor: null,
    listStale: false, // a refresh of the list waits for a rename or delete to end
  };

  // ------------------------------------------------------------------ the sidebar

  function setNote(text) {
    note.textContent = text || "";
    note.hidden = !text;
  }

  async function loadList(append) {
    var query = "?limit=30" + (append && state.cursor ? "&cursor=" + encodeURIComponent(state.cursor) : "");
    var page = await json("GET", "/conversations" + query);
    if (!append) {
      if (editingItem()) {
        // A rename or delete the visitor is in the middle of outlives this refresh: it
        // runs again once that is done (afterEdit).
        state.listStale = true;
        return;
      }
      list.replaceChildren();
    }
    page.data.forEach(function (conversation) {
      list.append(listItem(conversation));
    });
    state.cursor = page.next_cursor;
    moreButton.hidden = !page.has_more;
    setNote(list.children.length ? "" : S.noConversations);
    markCurrent();
  }

  function listItem(conversation) {
    var open = el("button", {
      type: "button",
      class: "open",
      text: conversation.title || S.untitled,
      onclick: function () {
        openConversation(conversation.id).catch(showProblem);
      },
    });
    var item = el("li", { "data-id": conversation.id }, [open]);
    item.append(
      el("div", { class: "item-actions" }, [
        el(
          "button",
          {
            type: "button",
            class: "secondary small",
            "aria-label": S.rename + ": " + (conversation.title || S.untitled),
            onclick: function () {
              startRename(item, conversation);
            },
          },
          [icon("rename")]
        ),
        el(
          "button",
          {
            type: "button",
            class: "secondary small",
            "aria-label": S.remove + ": " + (conversation.title || S.untitled),
            onclick: function () {
              confirmRemove(item, conversation);
            },
          },
          [icon("remove")]
        ),
      ])
    );
    return item;
  }

  function editingItem() {
    return list.querySelector("li input, li .confirm");
  }

  /** Catch up on a refresh that waited for a rename or delete, then put the focus back. */
  function afterEdit(id) {
    if (!state.listStale || editingItem()) return;
    state.listStale = false;
    refreshList()
      .then(function () {
        var item = id && list.querySelector('[data-id="' + CSS.escape(id) + '"] .open');
        if (item && (document.activeElement === document.body || !document.activeElement)) item.focus();
      })
      .catch(showProblem);
  }

  function markCurrent() {
    Array.prototype.forEach.call(list.children, function (item) {
      var current = state.conversation && item.dataset.id === state.conversation.id;
      var open = item.querySelector(".open");
      if (open) {
        if (current) open.setAttribute("aria-current", "true");
        else open.removeAttribute("aria-current");
      }
    });
  }

  function startRename(item, conversation) {
    var field = el("input", {
      type: "text",
      value: conversation.title,
      maxlength: "200",
      "aria-label": S.renameField,
    });
    item.replaceChildren(field);
    field.focus();
    field.select();
    var done = false;
    async function finish(save) {
      if (done) return;
      done = true;
      var text = field.value.trim();
      if (save && text && text !== conversation.title) {
        try {
          var updated = await json("PATCH", conversationPath(conversation.id), { title: text });
          conversation.title = updated.title;
          if (state.conversation && state.conversation.id === conversation.id) {
            state.conversation.title = updated.title;
            title.textContent = updated.title;
          }
        } catch (error) {
          showProblem(error);
        }
      }
      var fresh = listItem(conversation);
      item.replaceWith(fresh);
      markCurrent();
      fresh.querySelector(".open").focus();
      afterEdit(conversation.id);
    }
    field.addEventListener("keydown", function (event) {
      if (event.key === "Enter") finish(true);
      else if (event.key === "Escape") finish(false);
    });
    field.addEventListener("blur", function () {
      finish(true);
    });
  }

  function confirmRemove(item, conversation) {
    var keep = item.querySelector(".item-actions");
    var yes = el("button", {
      type: "button",
      class: "danger small",
      text: S.confirmRemove,
      "aria-label": S.confirmRemove + " " + (conversation.title || S.untitled),
      onclick: async function () {
        try {
          await json("DELETE", conversationPath(conversation.id));
          item.remove();
          setNote(list.children.length ? "" : S.noConversations);
          if (state.conversation && state.conversation.id === conversation.id) newChat();
        } catch (error) {
          showProblem(error);
        }
        afterEdit(null);
      },
    });
    var no = el("button", {
      type: "button",
      class: "secondary small",
      text: S.cancel,
      onclick: function () {
        confirm.replaceWith(keep);
        keep.querySelector("button:last-child").focus();
        afterEdit(conversation.id);
      },
    });
    var confirm = el("div", { class: "item-actions confirm" }, [yes, no]);
    keep.replaceWith(confirm);
    yes.focus();
  }

  var searchTimer = null;
  function onSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      var q = search.value.trim();
      (q ? showResults(q) : loadList(false)).catch(showProblem);
    }, 250);
  }

  async function showResults(q) {
    var found = await json("GET", "/search?limit=20&q=" + encodeURIComponent(q));
    if (search.value.trim() !== q) return; // typed on meanwhile
    list.replaceChildren();
    moreButton.hidden = true;
    found.data.forEach(function (hit) {
      list.append(
        el("li", { "data-id": hit.conversation.id, class: "hit" }, [
          el(
            "button",
            {
              type: "button",
              class: "open",
              onclick: function () {
                openConversation(hit.conversation.id).catch(showProblem);
              },
            },
            [
              el("span", { class: "hit-title", text: hit.conversation.title }),
              el("span", { class: "hit-snippet", text: hit.snippet }),
            ]
          ),
        ])
      );
    });
    setNote(found.data.length ? "" : S.noResults);
    markCurrent();
  }

  // ------------------------------------------------------------------ the thread

  function newChat() {
    if (state.answering) return;
    state.conversation = null;
    state.branch = [];
    state.all = [];
    title.textContent = root.dataset.appName;
    log.replaceChildren(intro);
    history.replaceState(null, "", location.pathname);
    markCurrent();
    clearProblem();
    closeSidebar();
    input.focus();
  }

  async function openConversation(id) {
    if (state.answering) return;
    clearProblem();
    var conversation = await json("GET", conversationPath(id));
    state.conversation = conversation;
    state.branch = conversation.messages;
    state.all = await everyMessage(id);
    history.replaceState(null, "", "#" + encodeURIComponent(id));
    render();
    markCurrent();
    closeSidebar();
    var last = state.branch[state.branch.length - 1];
    if (last && last.role === "assistant" && last.status === "in_progress") {
      await follow(last); // an answer still being written: pick it up where it is
    }
  }

  async function everyMessage(id) {
    var all = [];
    var cursor = null;
    for (var pages = 0; pages < 10; pages++) {
      var page = await json(
        "GET",
        conversationPath(id) + "/messages?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")
      );
      all = all.concat(page.data);
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    return all;
  }

  function render() {
    title.textContent = (state.conversation && state.conversation.title) || root.dataset.appName;
    log.replaceChildren();
    if (!state.branch.length) log.append(intro);
    state.branch.forEach(function (message) {
      log.append(bubble(message));
    });
    log.scrollTop = log.scrollHeight;
  }

  function siblingsOf(message) {
    return state.all.filter(function (other) {
      return other.parent_id === message.parent_id && other.role === message.role;
    });
  }

  function bubble(message) {
    var body = el("div", { class: "body" });
    var node = el(
      "article",
      {
        class: "msg " + (message.role === "user" ? "me" : "bot"),
        "data-id": message.id,
        "aria-label": message.role === "user" ? S.you : S.assistant,
      },
      [body]
    );
    fill(node, message);
    return node;
  }

  /** Put a message's text (and, once it has ended, its actions) into its bubble. */
  function fill(node, message) {
    node.dataset.id = message.id;
    var body = node.querySelector(".body");
    body.replaceChildren();
    if (message.role === "user") {
      body.textContent = message.content;
      return;
    }
    if (message.content) body.append(shared.markdown(message.content));
    else if (message.status === "in_progress") body.append(el("span", { class: "note", text: S.thinking }));
    body.querySelectorAll("pre").forEach(addCodeCopy);
    if (message.status === "stopped") body.append(el("p", { class: "note", text: S.stopped }));
    node.querySelectorAll(".actions, .sources").forEach(function (old) {
      old.remove();
    });
    if (message.status === "in_progress") return;
    if (message.status === "failed") {
      body.append(el("p", { class: "note error-note", text: S.failed }));
    }
    if (message.sources && message.sources.length) node.append(sourceList(message.sources));
    node.append(actions(message));
  }

  /** The knowledge-base passages an answer was given (SPEC §15), as plain text. */
  function sourceList(sources) {
    return el("details", { class: "sources" }, [
      el("summary", { text: S.sources + " (" + sources.length + ")" }),
      el(
        "ol",
        {},
        sources.map(function (source) {
          // Saved messages keep their sources as given: not always our objects.
          var item = source && typeof source === "object" ? source : { filename: source };
          return el("li", {}, [
            el("strong", { text: String(item.filename || item.context_id || "") }),
            el("span", { class: "note", text: item.snippet ? " " + item.snippet : "" }),
          ]);
        })
      ),
    ]);
  }

  function addCodeCopy(pre) {
    var button = el("button", {
      type: "button",
      class: "secondary small code-copy",
      text: S.copyCode,
      onclick: function () {
        copyText(pre.querySelector("code").textContent, button, S.copyCode);
      },
    });
    pre.before(button);
  }

  function copyText(text, button, label) {
    var done = function () {
      button.textContent = S.copied;
      setTimeout(function () {
        button.textContent = label;
      }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    }
  }

  function actions(message) {
    var bar = el("div", { class: "actions" });
    var copy = el("button", {
      type: "button",
      class: "secondary small",
      text: S.copy,
      onclick: function () {
        copyText(message.content, copy, S.copy);
      },
    });
    bar.append(copy);
    bar.append(
      el("button", {
        type: "button",
        class: "secondary small",
        text: S.regenerate,
        onclick: function () {
          regenerate(message).catch(showProblem);
        },
      })
    );
    ["up", "down"].forEach(function (rating) {
      var on = message.feedback && message.feedback.rating === rating;
      bar.append(
        el(
          "button",
          {
            type: "button",
            class: "secondary small",
            "aria-pressed": on ? "true" : "false",
            "aria-label": rating === "up" ? S.good : S.bad,
            onclick: function () {
              rate(message, on ? null : rating).catch(showProblem);
            },
          },
          [icon(rating)]
        )
      );
    });
    var siblings = siblingsOf(message);
    if (siblings.length > 1) {
      var at = siblings.findIndex(function (other) {
        return other.id === message.id;
      });
      bar.append(
        el("span", { class: "branches" }, [
          el("button", {
            type: "button",
            class: "secondary small",
            "aria-label": S.previous,
            text: "‹",
            disabled: at <= 0,
            onclick: function () {
              switchTo(siblings[at - 1]).catch(showProblem);
            },
          }),
          el("span", { class: "branch-count", text: at + 1 + " / " + siblings.length }),
          el("button", {
            type: "button",
            class: "secondary small",
            "aria-label": S.next,
            text: "›",
            disabled: at >= siblings.length - 1,
            onclick: function () {
              switchTo(siblings[at + 1]).catch(showProblem);
            },
          }),
        ])
      );
    }
    return bar;
  }

  async function rate(message, rating) {
    var response = await call(
      "PUT",
      conversationPath(message.conversation_id) + "/messages/" + encodeURIComponent(message.id) + "/feedback",
      rating ? { rating: rating } : null
    );
    var result = await response.json();
    message.feedback = result.feedback;
    var node = log.querySelector('[data-id="' + CSS.escape(message.id) + '"]');
    if (node) fill(node, message);
  }

  async function switchTo(message) {
    if (state.answering) return;
    await json("PATCH", conversationPath(message.conversation_id), { current_message_id: message.id });
    await openConversation(message.conversation_id);
  }

  // ------------------------------------------------------------------ asking and following

  function busy(on) {
    log.setAttribute("aria-busy", on ? "true" : "false");
    sendButton.hidden = on;
    stopButton.hidden = !on;
    input.disabled = false;
    // While an answer streams, a new chat would mix into its thread: the button says so
    // instead of ignoring the click.
    newChatButton.disabled = on;
  }

  async function ask(text) {
    clearProblem();
    var pending = bubble({ id: "", role: "user", content: text, status: "complete" });
    if (!state.branch.length) log.replaceChildren();
    log.append(pending);
    log.scrollTop = log.scrollHeight;
    var path = state.conversation
      ? conversationPath(state.conversation.id) + "/messages"
      : "/conversations/stream";
    var response;
    busy(true);
    try {
      response = await call("POST", path, { content: text, stream: true });
    } catch (error) {
      pending.remove();
      if (!state.branch.length) log.append(intro);
      input.value = input.value || text; // nothing was asked: the question goes back
      busy(false);
      throw error;
    }
    await stream(response, { question: pending });
  }

  async function regenerate(message) {
    if (state.answering) return;
    clearProblem();
    var node = log.querySelector('[data-id="' + CSS.escape(message.id) + '"]');
    // The new answer takes the old one's place: a sibling branch, now the one shown.
    while (node && node.nextSibling) node.nextSibling.remove();
    if (node) node.remove();
    busy(true);
    var response;
    try {
      response = await call(
        "POST",
        conversationPath(message.conversation_id) + "/messages/" + encodeURIComponent(message.id) + "/regenerate",
        { stream: true }
      );
    } catch (error) {
      busy(false);
      render();
      throw error;
    }
    await stream(response, {});
  }

  /** Read an answer's events (an ask, a regeneration or a resume) into the thread. */
  async function stream(response, parts) {
    var answering = (state.answering = { answerId: null, stopAsked: false, lastId: 0, node: null, text: "" });
    var painted = false;
    function paint() {
      painted = false;
      if (!answering.node) return;
      fill(answering.node, { role: "assistant", content: answering.text, status: "in_progress", id: answering.answerId });
      log.scrollTop = log.scrollHeight;
    }
    function onEvent(data, id) {
      var event = JSON.parse(data);
      if (id) answering.lastId = Number(id);
      if (event.type === "conversation_created") {
        state.conversation = event.conversation;
        state.conversation.messages = [];
        title.textContent = event.conversation.title;
        history.replaceState(null, "", "#" + encodeURIComponent(event.conversation.id));
      } else if (event.type === "user_message") {
        if (parts.question) fill(parts.question, event.message);
      } else if (event.type === "ai_chunk") {
        if (!answering.node) {
          answering.answerId = event.message_id;
          answering.node = bubble({ id: event.message_id, role: "assistant", content: "", status: "in_progress" });
          log.append(answering.node);
          if (answering.stopAsked) stopAnswer();
        }
        answering.text += event.content;
        if (!painted) {
          painted = true;
          requestAnimationFrame(paint);
        }
      } else if (event.type === "ai_complete") {
        if (!answering.node) {
          answering.node = bubble(event.message);
          log.append(answering.node);
        }
        fill(answering.node, event.message);
        answering.done = true;
      } else if (event.type === "error") {
        answering.done = true;
        var problem = Problem(kindOf(event.error.code), event.error.message, event.error.code);
        if (answering.node) fill(answering.node, { role: "assistant", id: answering.answerId, content: answering.text, status: "failed" });
        showProblem(problem);
      }
    }
    try {
      await shared.readEvents(response, onEvent);
    } catch (e) {
      /* the connection broke: the answer goes on on the server; resume below */
    }
    if (!answering.done && answering.answerId && state.conversation) {
      try {
        var resumed = await call(
          "GET",
          conversationPath(state.conversation.id) + "/messages/" + encodeURIComponent(answering.answerId) + "/events",
          undefined,
          { "Last-Event-ID": String(answering.lastId) }
        );
        await shared.readEvents(resumed, onEvent);
      } catch (error) {
        showProblem(error.kind ? error : Problem("network"));
      }
    }
    state.answering = null;
    busy(false);
    if (state.conversation) {
      newChatButton.disabled = true; // its reload would take the new chat back
      await openConversation(state.conversation.id).catch(showProblem);
      newChatButton.disabled = false;
      await refreshList();
    }
  }

  function kindOf(code) {
    if (code === "insufficient_funds") return "funds";
    if (code === "limit_exceeded") return "limit";
    if (code === "rate_limited" || code === "upstream_overloaded") return "rate";
    return "upstream";
  }

  /** Pick up an answer still being written (after a reload or on another page). */
  async function follow(message) {
    var node = log.querySelector('[data-id="' + CSS.escape(message.id) + '"]');
    if (node) node.remove();
    busy(true);
    var response;
    try {
      response = await call(
        "GET",
        conversationPath(message.conversation_id) + "/messages/" + encodeURIComponent(message.id) + "/events"
      );
    } catch (error) {
      busy(false);
      throw error;
    }
    await stream(response, {});
  }

  function stopAnswer() {
    var answering = state.answering;
    if (!answering) return;
    if (!answering.answerId || !state.conversation) {
      answering.stopAsked = true; // stopped as soon as the answer has an id
      return;
    }
    call(
      "POST",
      conversationPath(state.conversation.id) + "/messages/" + encodeURIComponent(answering.answerId) + "/stop"
    ).catch(function (error) {
      if (error.code !== "conflict") showProblem(error);
    });
  }

  async function refreshList() {
    if (search.value.trim()) return;
    await loadList(false);
  }

  // ------------------------------------------------------------------ export

  async function exportAll() {
    var response = await call("GET", "/export");
    var url = URL.createObjectURL(await response.blob());
    var link = el("a", { href: url, download: "conversations.ndjson", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
  }

  // ------------------------------------------------------------------ layout

  function closeSidebar() {
    root.classList.remove("sidebar-open");
    toggle.setAttribute("aria-expanded", "false");
  }

  toggle.addEventListener("click", function () {
    var open = !root.classList.contains("sidebar-open");
    root.classList.toggle("sidebar-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) sidebar.querySelector(".new-chat").focus();
  });

  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.classList.contains("sidebar-open")) {
      closeSidebar();
      toggle.focus();
    }
  });

  newChatButton.addEventListener("click", newChat);
  moreButton.addEventListener("click", function () {
    loadList(true).catch(showProblem);
  });
  $(".export").addEventListener("click", function () {
    exportAll().catch(showProblem);
  });
  search.addEventListener("input", onSearch);
  stopButton.addEventListener("click", stopAnswer);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || state.answering) return;
    input.value = "";
    ask(text).catch(showProblem);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  // The composer is disabled in the page until here, so nothing typed before the script
  // ran is lost to a form without its handlers (Enter in a bare textarea adds a newline).
  input.disabled = false;
  sendButton.disabled = false;

  // ------------------------------------------------------------------ start

  (async function start() {
    try {
      await loadList(false);
      var id = decodeURIComponent(location.hash.slice(1));
      if (id) await openConversation(id);
    } catch (error) {
      showProblem(error);
    }
    // When the page became usable, in ms since navigation (bench/chat_page.py reads it).
    root.dataset.readyAt = String(Math.round(performance.now()));
  })();
})();
