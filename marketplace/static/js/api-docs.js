// Starts Swagger UI on /api/v1/docs (kept out of the page: no inline scripts under our CSP).
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") { return; }
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // BaseLayout: the standalone layout's top bar has an unlabelled URL box (an accessibility
    // failure) for exploring other documents, and this page documents one API only.
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
