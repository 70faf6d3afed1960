// Order payment page: count down to the payment deadline and poll the payment status
// until the money arrives, then reload to show the receipt. (No inline scripts: CSP.)
(function () {
  "use strict";
  var panel = document.getElementById("payment-panel");
  if (!panel) { return; }

  var countdown = document.getElementById("payment-countdown");
  if (countdown && countdown.dataset.dueAt) {
    var due = Date.parse(countdown.dataset.dueAt);
    var tick = function () {
      var left = Math.max(0, Math.floor((due - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      countdown.textContent = (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
      if (left === 0) { clearInterval(timer); }
    };
    var timer = setInterval(tick, 1000);
    tick();
  }

  var url = panel.dataset.statusUrl;
  var status = panel.dataset.status;
  var orderStatus = panel.dataset.orderStatus;
  if (!url || orderStatus !== "pending_payment") { return; }
  var delay = 4000;
  var poll = function () {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && (data.status !== status || data.order_status !== orderStatus)) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.2, 20000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 20000); });
  };
  setTimeout(poll, delay);
})();
