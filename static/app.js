// KLA self-assessment: small behaviours htmx does not cover. No inline scripts anywhere.
(function () {
  "use strict";

  // Upload progress, and a size check before sending a file over a slow connection.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form.upload");
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector(".upload-progress");
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form.upload");
    if (!form) return;
    var bar = form.querySelector(".upload-progress");
    if (bar) { bar.hidden = true; bar.value = 0; }
    if (event.detail.successful) form.reset();
  });

  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.upload")) return;
    if (form.querySelector(".upload-plus")) return;  // issue 25, client: upload.js checks after photos shrink
    var limit = parseInt(form.dataset.maxBytes || "0", 10);
    var input = form.querySelector("input[type=file]");
    if (!limit || !input) return;
    for (var i = 0; i < input.files.length; i++) {
      if (input.files[i].size > limit) {
        event.preventDefault();
        var target = document.querySelector(form.getAttribute("hx-target"));
        if (target) target.textContent = input.files[i].name + ": " + form.dataset.tooLarge;
        return;
      }
    }
  });

  // Autosave waits a second after typing: until the save answers, say the text is not saved yet, and
  // ask before the page is left (a closed tab or the Back button would otherwise lose it quietly).
  var unsaved = {};  // form id -> time of the last edit not yet sent
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form.answer");
    if (!form) return;
    unsaved[form.id] = Date.now();
    var state = document.querySelector(form.getAttribute("hx-target"));
    if (state && form.dataset.unsaved) state.textContent = form.dataset.unsaved;
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form.answer")) form.dataset.sentAt = String(Date.now());
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.answer") || !(form.id in unsaved)) return;
    // Only a save that left with the latest edit clears it; a conflict or a refusal keeps it.
    if (event.detail.xhr && event.detail.xhr.status === 200 && unsaved[form.id] <= Number(form.dataset.sentAt)) {
      delete unsaved[form.id];
    }
  });
  // "Submit this answer" waits in the answer form's queue (hx-sync). If the save ahead of it failed
  // (a colleague's conflict, a value refused), the edit is still unsaved: the submission must not go,
  // as it would send the stored answer and wipe the save's message.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var submit = event.target;
    if (!submit.matches || !submit.matches("form.submit-one")) return;
    var card = submit.closest(".card");
    var answer = card && card.querySelector("form.answer");
    if (answer && answer.id in unsaved) event.preventDefault();
  });
  // Pressing "submit this answer" used to blur the field just typed in: its save left at once and
  // showed "Saving…", which at 360 px wraps the line under the form and pushes the button down before
  // the button is released. The release, hence the click, then landed beside the button and nothing
  // was submitted. So the press keeps the focus (nothing moves) and the click itself moves it to the
  // button: the field's save leaves then, and the submission queues behind it (hx-sync).
  document.addEventListener("mousedown", function (event) {
    var button = event.target.closest && event.target.closest("form.submit-one button");
    if (button && event.button === 0) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("form.submit-one button");
    if (button && document.activeElement !== button) button.focus();
  }, true);
  // issue 25, offline: an edit kept in this browser to be sent later (static/offline.js) is not lost on leaving.
  document.addEventListener("kla:kept-offline", function (event) {
    if (event.target.id) delete unsaved[event.target.id];
  });
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(unsaved).length) { event.preventDefault(); event.returnValue = ""; }
  });

  // A link to a question (the "needs your attention" list) opens it, not just scrolls to it.
  function openLinkedQuestion() {
    if (!location.hash) return;
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.tagName === "DETAILS" && !target.open) target.open = true;
  }
  window.addEventListener("hashchange", openLinkedQuestion);
  document.addEventListener("DOMContentLoaded", openLinkedQuestion);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link && link.getAttribute("href") === location.hash) openLinkedQuestion();  // the same link again
  });
})();

// A print button (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
