// Live refresh for the explorer's server-rendered pages; no framework, no build step.
// Polls /api/status: shows or hides the outage banners, keeps the chain clock for the
// countdowns, and when the chain or the ledger moves (or comes back) refetches this page's
// <main> (the server renders only that block for X-Explorer-Partial) instead of reloading.
(function () {
  "use strict";
  var POLL_MS = 1000;
  var main = document.getElementById("main");
  var statusUrl = document.body.dataset.statusUrl;
  var chainOffset = Number(document.body.dataset.chainTime || 0) - Date.now() / 1000;
  var version = null;
  var wasDown = false;

  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }

  function format(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function tick() {
    var now = Date.now() / 1000 + chainOffset;
    var items = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < items.length; i++) {
      var left = Number(items[i].dataset.deadline) - now;
      items[i].textContent = left > 0
        ? items[i].dataset.label + " in " + format(left)
        : items[i].dataset.label + ": closed (waiting for the next block)";
    }
  }

  function refreshMain() {
    return fetch(location.href, { headers: { "X-Explorer-Partial": "1" }, cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) { main.innerHTML = html; tick(); });
  }

  function poll() {
    fetch(statusUrl, { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show("banner-chain", !s.chain.ok);
        show("banner-ledger", !s.ledger.ok);
        show("banner-server", false);
        if (s.chain.ok) {
          chainOffset = s.chain.time - Date.now() / 1000;
          document.getElementById("head-number").textContent = String(s.chain.head);
        }
        var down = !s.chain.ok || !s.ledger.ok;
        var moved = version !== null && (s.version !== version || (wasDown && !down));
        version = s.version;
        wasDown = down;
        return moved ? refreshMain() : null;
      })
      .catch(function () { show("banner-server", true); wasDown = true; })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  tick();
  setInterval(tick, 1000);
  poll();
})();
