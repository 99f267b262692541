// KB editor: live WhatsApp preview of the answer, rendered by the server (/kb/preview).
"use strict";

(function () {
  const body = document.getElementById("f-body");
  if (!body) return;
  const target = document.querySelector(body.dataset.preview);
  const count = document.getElementById("body-count");
  let timer = null;
  let sent = 0;

  async function refresh() {
    const ticket = ++sent;
    const form = new FormData();
    form.append("body", body.value);
    form.append("csrf_token", window.wabotCsrf());
    const response = await window.wabotFetch("/kb/preview", { method: "POST", body: form });
    if (response.ok && ticket === sent) {
      target.innerHTML = await response.text();  // server output: escaped, known tags only
    }
  }

  body.addEventListener("input", function () {
    if (count) count.textContent = String(body.value.length);
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
})();
