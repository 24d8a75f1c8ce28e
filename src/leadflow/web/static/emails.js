/* The email editor: a merge-field picker that inserts at the cursor, and a live preview
   (subject, sandboxed HTML, text) of the draft for a chosen contact, asked of the API. */
(function () {
  "use strict";
  var root = document.querySelector("[data-email-editor]");
  if (!root) {
    return;
  }
  var form = document.getElementById("email-form");
  var csrf = form ? form.querySelector("input[name=csrf_token]") : null;
  var targets = Array.prototype.slice.call(root.querySelectorAll("[data-merge-target]"));
  var last = targets.length > 1 ? targets[1] : targets[0];
  var picker = root.querySelector("[data-merge-field]");
  var insert = root.querySelector("[data-merge-insert]");
  var contact = root.querySelector("[data-preview-contact]");
  var testContact = root.querySelector("[data-test-contact]");
  var subjectBox = root.querySelector("[data-preview-subject]");
  var frame = root.querySelector("[data-preview-html]");
  var textBox = root.querySelector("[data-preview-text]");
  var errorBox = root.querySelector("[data-preview-error]");
  var asked = 0;
  var timer = null;

  targets.forEach(function (element) {
    element.addEventListener("focus", function () {
      last = element;
    });
    element.addEventListener("input", schedule);
  });

  if (insert && picker) {
    insert.addEventListener("click", function () {
      if (!last || last.readOnly) {
        return;
      }
      var tag = "{{ " + picker.value + " }}";
      var start = last.selectionStart || 0;
      var end = last.selectionEnd || start;
      last.value = last.value.slice(0, start) + tag + last.value.slice(end);
      last.focus();
      last.selectionStart = last.selectionEnd = start + tag.length;
      schedule();
    });
  }

  function field(name) {
    var element = form ? form.querySelector("[name=" + name + "]") : null;
    return element ? element.value : "";
  }

  function schedule() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(preview, 300);
  }

  function preview() {
    if (!window.fetch) {
      return;
    }
    asked += 1;
    var ticket = asked;
    var body = {
      subject: field("subject"),
      html_body: field("html_body"),
      text_body: field("text_body") || null
    };
    if (contact && contact.value) {
      body.contact_id = parseInt(contact.value, 10);
    }
    if (testContact && contact) {
      testContact.value = contact.value;
    }
    fetch("/api/v1/emails/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrf ? csrf.value : ""
      },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (ticket !== asked) {
          return;
        }
        if (!result.ok) {
          var where = result.data.field ? result.data.field.replace("_", " ") : "";
          if (result.data.line) {
            where += " (line " + result.data.line + ")";
          }
          errorBox.textContent = (where ? where + ": " : "") + (result.data.detail || "cannot preview");
          errorBox.hidden = false;
          return;
        }
        errorBox.hidden = true;
        subjectBox.textContent = result.data.subject;
        frame.srcdoc = result.data.html;
        textBox.textContent = result.data.text;
      })
      .catch(function () {});
  }

  if (contact) {
    contact.addEventListener("change", preview);
  }
  preview();
})();
