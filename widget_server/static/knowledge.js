/* The knowledge base card of an app's page (/developer/apps/<client_id>): drag and drop
   onto the file field, and each document's status followed while it is processed. The
   form works without this script; it only adds to it. No HTML from strings. */
"use strict";

(function () {
  var POLL_MS = 1500;

  function wireDropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var form = zone.closest("form");
    if (!input || !form) return;
    function over(event) {
      event.preventDefault();
      zone.classList.add("over");
    }
    function leave() {
      zone.classList.remove("over");
    }
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", leave);
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      leave();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }

  function statusText(doc) {
    if (doc.status === "failed" && doc.reason) return "failed: " + doc.reason;
    if (doc.status === "ready") return "ready (" + doc.chunks + " chunks)";
    return doc.status;
  }

  function followStatuses(table) {
    var url = table.getAttribute("data-documents");
    function processing() {
      return table.querySelector('[data-status="processing"]') !== null;
    }
    function update(docs) {
      docs.forEach(function (doc) {
        var row = table.querySelector('tr[data-context-id="' + doc.id + '"]');
        var cell = row && row.querySelector(".doc-status");
        if (!cell || cell.getAttribute("data-status") === doc.status) return;
        cell.setAttribute("data-status", doc.status);
        cell.textContent = statusText(doc);
      });
    }
    function poll() {
      if (!processing()) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { data: [] };
        })
        .then(function (body) {
          update(body.data || []);
        })
        .catch(function () {})
        .then(function () {
          setTimeout(poll, POLL_MS);
        });
    }
    setTimeout(poll, POLL_MS);
  }

  document.querySelectorAll("[data-dropzone]").forEach(wireDropzone);
  document.querySelectorAll("table[data-documents]").forEach(followStatuses);
})();
