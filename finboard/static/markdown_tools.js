// Upload an image from any Markdown form and insert its snippet at the cursor.
// Without this script the "Add an image" link opens the upload page instead (no-JS path).
// Quote a passage: with text selected in a comment, that comment's Quote link carries the
// selection (&passage=…) and the reply form opens with only it quoted (the server checks the
// comment holds it). No selection, or no script: the link quotes the whole comment.
(function () {
  "use strict";

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    var before = value.slice(0, start), after = value.slice(end);
    var lead = before && !/\s$/.test(before) ? "\n" : "";
    var trail = after && !/^\s/.test(after) ? "\n" : "";
    textarea.value = before + lead + text + trail + after;
    var caret = (before + lead + text).length;
    textarea.setSelectionRange(caret, caret);
    textarea.focus();
  }

  function setup(tools) {
    var link = tools.querySelector(".upload-link");
    var textarea = document.getElementById(tools.dataset.markdownTarget);
    var form = tools.closest("form");
    if (!link || !textarea || !form || !window.fetch || tools.dataset.ready) return;
    tools.dataset.ready = "1";
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    tools.appendChild(status);
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/gif,image/webp";
    input.hidden = true;
    input.setAttribute("aria-hidden", "true");
    input.tabIndex = -1;
    input.className = "upload-input";
    tools.appendChild(input);

    link.addEventListener("click", function (event) {
      event.preventDefault();
      input.click();
    });
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var body = new FormData();
      var token = form.querySelector("input[name=csrf_token]");
      if (token) body.append("csrf_token", token.value);
      body.append("image", file);
      status.textContent = "Uploading " + file.name + "…";
      fetch(tools.dataset.uploadUrl, {
        method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; },
          function () { return { ok: false, status: response.status, data: null }; });
      }).then(function (result) {
        if (result.ok) {
          insertAtCursor(textarea, result.data.markdown);
          status.textContent = "Image added.";
        } else {
          var error = result.data && result.data.error;
          var message = error && ((error.fields && error.fields.file) || error.message);
          status.textContent = message || (result.status === 413 ? "The image is larger than 5 MB." : "The upload failed.");
        }
      }, function () {
        status.textContent = "The upload failed: check your connection.";
      });
      input.value = "";
    });
  }

  document.querySelectorAll(".markdown-tools").forEach(setup);

  // Longer passages quote the whole comment: the URL must stay under the server's request-line limit.
  var MAX_PASSAGE_URL = 2000;

  // The text selected inside the comment's body (a selection reaching beyond it is cut to it), as
  // the reader sees it: paragraphs and list items on lines of their own.
  function selectedPassage(comment) {
    var body = comment && comment.querySelector(".markdown");
    var selection = window.getSelection ? window.getSelection() : null;
    if (!body || !selection || !selection.rangeCount || selection.isCollapsed) return "";
    var range = selection.getRangeAt(0);
    if (!range.intersectsNode(body)) return "";
    var whole = document.createRange();
    whole.selectNodeContents(body);
    var starts = range.compareBoundaryPoints(Range.START_TO_START, whole) < 0;
    var ends = range.compareBoundaryPoints(Range.END_TO_END, whole) > 0;
    if (starts || ends) {
      var cut = range.cloneRange();
      if (starts) cut.setStart(whole.startContainer, whole.startOffset);
      if (ends) cut.setEnd(whole.endContainer, whole.endOffset);
      selection.removeAllRanges();
      selection.addRange(cut);
    }
    return selection.toString().trim();
  }

  function quoteHref(link, passage) {
    if (!link.dataset.quoteHref) link.dataset.quoteHref = link.href;
    var url = new URL(link.dataset.quoteHref, document.baseURI);
    if (passage) url.searchParams.set("passage", passage);
    return url.href.length - link.dataset.quoteHref.length > MAX_PASSAGE_URL ? link.dataset.quoteHref : url.href;
  }

  // A press on a link may clear the selection before "click": read it at pointerdown, keep it for that link.
  var pressed = null;
  function quoteLink(event) {
    var target = event.target;
    return target && target.closest ? target.closest("a.quote-link") : null;
  }
  if (!window.finboardQuotes && window.URL && document.createRange) {
    window.finboardQuotes = true;
    document.addEventListener("pointerdown", function (event) {
      var link = quoteLink(event);
      pressed = link ? { link: link, passage: selectedPassage(link.closest("article.comment")) } : null;
    }, true);
    var follow = function (event) {  // a click, or a middle click that opens a tab
      var link = quoteLink(event);
      if (!link) return;
      var passage = selectedPassage(link.closest("article.comment"));
      if (!passage && pressed && pressed.link === link) passage = pressed.passage;
      pressed = null;
      link.href = quoteHref(link, passage);
    };
    document.addEventListener("click", follow, true);
    document.addEventListener("auxclick", follow, true);
  }
})();
