// podboard's page behaviour on top of htmx and its SSE extension: the live
// connection status, a resync of the table after a lost connection, rows
// for containers that appear while the page is open, elapsed times of
// running operations, and toasts that go away by themselves.
(function () {
  'use strict';

  // The live indicator is hidden until a script can keep it true; without
  // JavaScript the page says instead that it does not update by itself.
  var liveEl = document.getElementById('live');
  if (liveEl) liveEl.hidden = false;

  function setLive(state, text) {
    var el = document.getElementById('live');
    if (!el || el.dataset.state === state) return;
    el.dataset.state = state;
    el.textContent = text;
  }

  // Events published while the page was not listening are lost: between
  // the page's rendering and its first connection, and during an outage.
  // So every time the live connection opens the table is fetched again; a
  // missed final state must never leave "Stopping…" on screen. A row
  // pushed while that fetch is in flight may be newer than the fetched
  // table, which would overwrite it: the fetch is then repeated, until one
  // completes with no push in between.
  var resyncing = false;
  var pushedMeanwhile = false;

  function resync() {
    var rows = document.getElementById('rows');
    if (!rows) return;
    if (resyncing) {
      pushedMeanwhile = true;
      return;
    }
    resyncing = true;
    pushedMeanwhile = false;
    rows.setAttribute('aria-busy', 'true');
    var done = function () {
      resyncing = false;
      var current = document.getElementById('rows');
      if (current) current.removeAttribute('aria-busy');
      if (pushedMeanwhile) resync();
    };
    htmx.ajax('GET', '/rows', { target: '#rows', swap: 'outerHTML' }).then(done, done);
  }

  document.addEventListener('htmx:sseBeforeMessage', function () {
    if (resyncing) pushedMeanwhile = true;
  });
  document.addEventListener('htmx:sseOpen', function () {
    setLive('live', 'live');
    resync();
  });
  // The server asks for a resync when it had to drop live updates.
  document.addEventListener('sse:resync', resync);
  document.addEventListener('htmx:sseError', function () {
    setLive(navigator.onLine === false ? 'offline' : 'reconnecting', navigator.onLine === false ? 'offline' : 'reconnecting…');
  });
  window.addEventListener('offline', function () { setLive('offline', 'offline'); });

  // A pushed row whose container the page does not show yet (created while
  // the page was open) has no element to swap into: insert it in name order.
  document.body.addEventListener('htmx:oobErrorNoTarget', function (evt) {
    var row = evt.detail && evt.detail.content;
    var rows = document.getElementById('rows');
    if (!row || !rows || !row.dataset || !row.dataset.name) return;
    if (row.getAttribute('hx-swap-oob') === 'delete') return;
    row.removeAttribute('hx-swap-oob');
    var before = document.getElementById('empty');
    var existing = rows.querySelectorAll('[role=row][data-name]');
    for (var i = 0; i < existing.length; i++) {
      if (existing[i].dataset.name > row.dataset.name) { before = existing[i]; break; }
    }
    rows.insertBefore(row, before);
    htmx.process(row);
    applyView();
    tick();
  });

  // Filter and sort, for servers with many containers. Both are applied
  // again whenever rows change, so live updates keep the view.
  var sortKey = 'name';
  var sortDir = 1;

  function rowsOf(tbody) {
    return Array.prototype.slice.call(tbody.querySelectorAll('[role=row][data-name]'));
  }

  // States sort by what an operator looks for first: running ones, then
  // those in flight, then paused and stopped ones.
  var stateRank = { running: '1', restarting: '2', starting: '2', stopping: '2', paused: '3', stopped: '4' };

  function key(row) {
    var v = row.dataset[sortKey] || '';
    return sortKey === 'state' ? (stateRank[v] || '9') + v : v;
  }

  function applyView() {
    var tbody = document.getElementById('rows');
    var input = document.getElementById('filter');
    if (!tbody) return;
    var q = input ? input.value.trim().toLowerCase() : '';
    var rows = rowsOf(tbody);
    var shown = 0;
    rows.forEach(function (r) {
      var hay = (r.dataset.name + ' ' + (r.dataset.image || '') + ' ' + r.dataset.state).toLowerCase();
      var match = q === '' || hay.indexOf(q) >= 0;
      r.hidden = !match;
      if (match) shown++;
    });
    var sorted = rows.slice().sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === y) { x = a.dataset.name; y = b.dataset.name; }
      return x < y ? -sortDir : x > y ? sortDir : 0;
    });
    var empty = document.getElementById('empty');
    for (var i = 0; i < sorted.length; i++) {
      if (rows[i] !== sorted[i]) {
        sorted.forEach(function (r) { tbody.insertBefore(r, empty); });
        break;
      }
    }
    var none = document.getElementById('no-match');
    if (none) none.hidden = !(q !== '' && shown === 0 && rows.length > 0);
  }

  document.addEventListener('input', function (evt) {
    if (evt.target && evt.target.id === 'filter') applyView();
  });
  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('button.sort');
    if (!btn) return;
    var key = btn.dataset.sort;
    sortDir = key === sortKey ? -sortDir : 1;
    sortKey = key;
    document.querySelectorAll('button.sort').forEach(function (b) {
      b.parentElement.setAttribute('aria-sort', b.dataset.sort === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
    applyView();
  });
  document.addEventListener('htmx:afterSettle', applyView);
  document.addEventListener('htmx:oobAfterSwap', applyView);

  // Keyboard focus stays with a row while it is swapped. A pressed button
  // is disabled at once and its row replaced (by the answer, then by the
  // pushed outcome), which would drop the focus to the top of the page. The
  // focus goes to the new row's element of the same kind (the button of the
  // same action), else its first enabled button, else the row itself while
  // an operation runs.
  var focusRow = null;
  var focusSel = null;

  function rowOf(el) {
    return el && el.closest ? el.closest('[role=row][data-name]') : null;
  }

  function rememberFocus(scope) {
    var a = document.activeElement;
    if (!scope || !scope.contains || !a || a === document.body || !scope.contains(a)) return;
    var row = rowOf(a);
    if (!row) return;
    focusRow = row.dataset.name;
    focusSel = null;
    if (a.dataset && a.dataset.op) focusSel = 'button[data-op="' + a.dataset.op + '"]';
    else if (a.tagName === 'A') focusSel = 'a[href]';
    else if (a.tagName === 'SUMMARY') focusSel = 'summary';
  }

  function restoreFocus() {
    if (focusRow === null) return;
    var a = document.activeElement;
    if (a && a !== document.body && a.isConnected) {
      focusRow = null;
      return;
    }
    var row = document.getElementById('row-' + focusRow);
    if (!row) return; // not swapped in yet
    var target = (focusSel && row.querySelector(focusSel + ':not(:disabled)')) ||
      row.querySelector('button[data-op]:not(:disabled)');
    if (!target) {
      row.setAttribute('tabindex', '-1');
      target = row;
    }
    focusRow = null;
    target.focus({ preventScroll: true });
  }

  document.addEventListener('htmx:beforeRequest', function (evt) {
    rememberFocus(rowOf(evt.detail && evt.detail.elt));
  });
  document.addEventListener('htmx:beforeSwap', function (evt) {
    rememberFocus(evt.detail && evt.detail.target);
  });
  document.addEventListener('htmx:oobBeforeSwap', function (evt) {
    rememberFocus(evt.detail && evt.detail.target);
  });
  document.addEventListener('htmx:afterSettle', restoreFocus);
  document.addEventListener('htmx:oobAfterSwap', restoreFocus);

  function formatElapsed(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  // The elapsed time counts from the job's start as the server recorded it,
  // so it is right after a reload too.
  function tick() {
    var els = document.querySelectorAll('.elapsed[data-since]');
    var now = Date.now();
    for (var i = 0; i < els.length; i++) {
      var since = Date.parse(els[i].dataset.since);
      if (!isNaN(since)) els[i].textContent = formatElapsed(now - since);
    }
    var toasts = document.querySelectorAll('#toasts .toast');
    for (var j = 0; j < toasts.length; j++) {
      var t = toasts[j];
      if (!t.dataset.born) t.dataset.born = String(now);
      else if (now - Number(t.dataset.born) > 15000) t.remove();
    }
  }
  setInterval(tick, 1000);
  document.addEventListener('htmx:afterSettle', tick);
  document.addEventListener('htmx:oobAfterSwap', tick);
  document.addEventListener('DOMContentLoaded', function () { tick(); applyView(); });
})();
