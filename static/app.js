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
})();

// A print button (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
