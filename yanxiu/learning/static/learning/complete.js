/* Pages and documents: once the learner has had the page open for the activity's minimum time,
 * mark it complete (the server checks the time again). The button does the same without waiting
 * for the script, and works without JavaScript. */
(function () {
  "use strict";
  var form = document.getElementById("complete-form");
  if (!form) return;
  var wait = parseInt(form.dataset.wait || "0", 10);
  var state = document.getElementById("activity-state");
  var hint = document.getElementById("complete-hint");
  function complete() {
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new FormData(form),
      headers: { "Accept": "application/json" }
    }).then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (r) {
        if (r.ok && r.data.completed) {
          state.textContent = "已完成";
          state.className = "badge text-bg-success";
          form.remove();
        } else if (r.data && r.data.message) {
          hint.textContent = r.data.message;
        }
      }).catch(function () { /* offline: the button still works later */ });
  }
  setTimeout(complete, (wait + 1) * 1000);
})();
