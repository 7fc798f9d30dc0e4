// Errors appear where the eye is: after a refused action the message scrolls into view and takes the focus,
// so that a phone user (whose button may be far below the message) and a screen reader both meet it.
(function () {
  "use strict";

  function show(alert) {
    if (!alert || !alert.isConnected || alert.offsetParent === null) return;
    if (!alert.hasAttribute("tabindex")) alert.setAttribute("tabindex", "-1");
    alert.focus({ preventScroll: true });
    alert.scrollIntoView({ block: "center" });
  }

  function typing() {
    // An autosave's message must not pull the caret out of the field being typed in: its role=alert
    // is announced anyway, and the field stays where the eye already is.
    var el = document.activeElement;
    return !!el && el !== document.body && el.matches("input:not([type=submit]):not([type=button]), textarea, select");
  }

  // htmx swaps: the first alert in what was just swapped in.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.querySelector || typing()) return;
    show(root.matches("[role=alert]") ? root : root.querySelector("[role=alert]"));
  });

  // Full-page forms sent back with an error: the first alert of the page.
  document.addEventListener("DOMContentLoaded", function () {
    show(document.querySelector("main [role=alert]"));
  });
})();
