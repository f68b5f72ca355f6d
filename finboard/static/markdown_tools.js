// Upload an image from any Markdown form and insert its snippet at the cursor.
// Without this script the "Add an image" link opens the upload page instead (no-JS path).
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
})();
