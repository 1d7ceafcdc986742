// Take-quiz page: countdown from the server's remaining seconds, autosave through the JSON
// API (session + CSRF header), auto-submit when time is up. Without JS the form still works.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  var clock = document.getElementById("countdown");
  var status = document.getElementById("save-status");
  if (!form || !clock) return;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var deadline = Date.now() + parseInt(clock.dataset.secondsLeft, 10) * 1000;
  var submitted = false;
  var timer = null;

  function fmt(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var m = Math.floor(s / 60);
    s = s % 60;
    return (m ? m + " phút " + (s < 10 ? "0" : "") : "") + s + " giây";
  }

  function collect() {
    var answers = {};
    form.querySelectorAll("fieldset.question").forEach(function (box) {
      var id = box.dataset.question;
      var type = box.dataset.type;
      var value = null;
      if (type === "multiple_choice") {
        value = [];
        box.querySelectorAll("input:checked").forEach(function (el) { value.push(parseInt(el.value, 10)); });
      } else if (type === "single_choice" || type === "true_false") {
        var el = box.querySelector("input:checked");
        if (el) value = type === "true_false" ? el.value === "true" : parseInt(el.value, 10);
      } else {
        var input = box.querySelector("input");
        value = input.value.trim() === "" ? null : input.value;
      }
      answers[id] = value;
    });
    var body = { answers: answers };
    var prediction = document.getElementById("prediction");
    if (prediction && /^\d+$/.test(prediction.value.trim())) body.prediction = parseInt(prediction.value.trim(), 10);
    return body;
  }

  function save() {
    return fetch(form.dataset.saveUrl, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(collect())
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          deadline = Date.now() + data.seconds_left * 1000;
          status.textContent = "Đã lưu lúc " + new Date().toLocaleTimeString("vi-VN") + ".";
        } else {
          status.textContent = data.error || "Không lưu được câu trả lời.";
          if (response.status === 409) finish();
        }
      });
    }).catch(function () {
      status.textContent = "Mất kết nối — câu trả lời sẽ được lưu lại khi có mạng.";
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  function finish() {
    if (submitted) return;
    submitted = true;
    form.submit();
  }

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  form.addEventListener("submit", function () { submitted = true; });

  function tick() {
    var left = deadline - Date.now();
    clock.textContent = fmt(left);
    if (left <= 0) { finish(); return; }
    setTimeout(tick, 500);
  }
  tick();
})();
