// Shared helpers of the staff pages (plain JS, no dependencies).
"use strict";

/** The session's CSRF token (also in every form's hidden csrf_token field). */
window.wabotCsrf = function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
};

/** fetch() with the session cookie and, for writes, the X-CSRF-Token header. */
window.wabotFetch = function (url, options) {
  const opts = Object.assign({ credentials: "same-origin" }, options || {});
  const method = (opts.method || "GET").toUpperCase();
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    opts.headers = Object.assign({ "X-CSRF-Token": window.wabotCsrf() }, opts.headers || {});
  }
  return fetch(url, opts);
};
