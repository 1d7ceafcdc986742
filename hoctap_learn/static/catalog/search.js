// Search page behaviour, loaded as a file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  // Facets are folded away on phones and open on wider screens.
  var panel = document.getElementById("facet-panel");
  if (panel && window.matchMedia("(min-width: 760px)").matches) {
    panel.open = true;
  }
  // Choosing another order applies it at once (the button is there without script).
  var sort = document.getElementById("sort");
  if (sort) {
    sort.addEventListener("change", function () {
      sort.form.submit();
    });
  }
})();
