// The address form's commune/ward list follows the province chosen: fetched from
// GET /api/v1/divisions/provinces/{code}/wards. Without JavaScript, the form's
// "Show communes and wards" button sends the province back to the server instead.
(function () {
  "use strict";
  var province = document.getElementById("province_code");
  var ward = document.getElementById("ward_code");
  if (!province || !ward) return;
  var base = province.getAttribute("data-wards-url");
  var placeholder = ward.options.length ? ward.options[0].textContent : "";

  function fill(items) {
    ward.replaceChildren();
    var first = document.createElement("option");
    first.value = "0";
    first.textContent = placeholder;
    ward.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = String(item.code);
      option.textContent = item.name;
      ward.appendChild(option);
    });
  }

  province.addEventListener("change", function () {
    var code = province.value;
    if (!code || code === "0") { fill([]); return; }
    ward.disabled = true;
    fetch(base + encodeURIComponent(code) + "/wards", {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (body) { fill(body.items || []); })
      .catch(function () { fill([]); })
      .finally(function () { ward.disabled = false; });
  });
})();
