// The review queue's "select all" box: ticks or clears every answer box of its form, and shows
// whether all, some or none are ticked. Delegated from the document: htmx replaces the list.
(function () {
  "use strict";

  function boxes(master) {
    var form = master.form || master.closest("form");
    if (!form) return [];
    return Array.prototype.slice.call(
      form.querySelectorAll("input[type=checkbox][name='" + master.dataset.selectAll + "']"));
  }

  function refresh(master) {
    var all = boxes(master);
    var ticked = all.filter(function (box) { return box.checked; }).length;
    master.checked = all.length > 0 && ticked === all.length;
    master.indeterminate = ticked > 0 && ticked < all.length;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches || !target.matches("input[type=checkbox]")) return;
    if (target.dataset.selectAll) {
      boxes(target).forEach(function (box) { box.checked = target.checked; });
      target.indeterminate = false;
      return;
    }
    var form = target.form;
    if (!form) return;
    var master = form.querySelector("input[data-select-all='" + target.name + "']");
    if (master) refresh(master);
  });
})();
