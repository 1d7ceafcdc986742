// Run page of a harvest: while the run is queued or running, read its state from the
// JSON endpoint every 2 s and show it; when it ends, reload once to show the final page
// (message, per-record errors). No inline script: the URL comes from a data- attribute.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || box.dataset.active !== "true") return;
  var url = box.dataset.progressUrl;
  var number = new Intl.NumberFormat("vi-VN");
  var failures = 0;

  function show(state) {
    box.querySelector('[data-field="status_label"]').textContent = state.status_label;
    box.querySelector('[data-field="pages"]').textContent = number.format(state.pages);
    box.querySelector('[data-field="records"]').textContent = number.format(state.records);
    Object.keys(state.counts).forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = number.format(state.counts[name]);
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.active) {
          window.setTimeout(poll, 2000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        // A dropped connection or a restart: try a few more times, then leave the
        // "Tải lại" link to the reader.
        failures += 1;
        if (failures < 5) window.setTimeout(poll, 2000);
      });
  }

  window.setTimeout(poll, 2000);
})();
