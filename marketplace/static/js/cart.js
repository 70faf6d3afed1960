// Add to cart without leaving the product page. The product page carries no CSRF token
// (so it can be cached for every visitor); this script fetches one, posts the line to the
// cart API and shows the result. Without JavaScript the form opens the confirm page instead.
(function () {
  "use strict";

  function show(box, kind, text, link) {
    box.replaceChildren();
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " d-flex justify-content-between align-items-center mb-0";
    var message = document.createElement("span");
    message.textContent = text;
    alert.appendChild(message);
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.className = "alert-link";
      a.textContent = link.text;
      alert.appendChild(a);
    }
    box.appendChild(alert);
  }

  function updateCount(count) {
    var badge = document.getElementById("cart-count");
    if (!badge || typeof count !== "number") return;
    badge.textContent = String(count);
    badge.hidden = count < 1;
  }

  function errorMessage(body, fallback) {
    return (body && body.error && body.error.message) || fallback;
  }

  document.querySelectorAll("form.add-to-cart").forEach(function (form) {
    var box = form.nextElementSibling;
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !box) return; // fall back to the confirm page
      event.preventDefault();
      var data = form.dataset;
      var payload = {
        product_id: parseInt(form.elements.product_id.value, 10),
        quantity: parseInt(form.elements.quantity.value, 10)
      };
      button.disabled = true;
      fetch(data.csrf, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("csrf");
          return response.json();
        })
        .then(function (token) {
          return fetch(data.api, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json",
                       "X-CSRFToken": token.csrf_token },
            body: JSON.stringify(payload)
          });
        })
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (body) {
            if (response.ok) {
              show(box, "success", data.added, { href: data.cartUrl, text: data.viewCart });
              updateCount(body && body.item_count);
            } else {
              show(box, "danger", errorMessage(body, data.failed));
            }
          });
        })
        .catch(function () { show(box, "danger", data.failed); })
        .then(function () { button.disabled = false; });
    });
  });
})();
