// podboard's page behaviour on top of htmx and its SSE extension, for what
// htmx does not do itself: the live connection status, a resync of the table
// each time the live connection opens, elapsed times of running operations,
// toasts that go away by themselves, the filter, view and sort of the table,
// and the selection of rows for a bulk action.
// htmx does the rest: it swaps rows (answers, pushes, inserts, removals),
// processes them, and gives the focus back to the element with the same id
// after each swap (every focusable element of a row has a stable id); the
// stylesheet shows a clicked row's transitional label from htmx's
// htmx-request class.
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
  // table: that table is then not swapped in (rows would go back in time,
  // or a pushed row vanish for a moment) and the fetch is repeated, until
  // one completes with no push in between, or a few tries have passed
  // (under a constant stream of pushes, a table a moment old is better
  // than none).
  var resyncing = false;
  var pushedMeanwhile = false;
  var resyncTries = 0;

  function resync() {
    var rows = document.getElementById('rows');
    if (!rows) {
      resyncRow();
      return;
    }
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
      if (pushedMeanwhile) {
        resyncTries++;
        resync();
      } else {
        resyncTries = 0;
      }
    };
    htmx.ajax('GET', '/rows', { target: '#rows', swap: 'outerHTML' }).then(done, done);
  }

  // A container's page has one row: it is fetched again the same way.
  function resyncRow() {
    var main = document.querySelector('[data-container]');
    var row = main && document.getElementById(main.dataset.rowId);
    if (!row) return;
    htmx.ajax('GET', main.dataset.rowUrl, { target: row, swap: 'outerHTML' });
  }

  document.addEventListener('htmx:sseBeforeMessage', function () {
    if (resyncing) pushedMeanwhile = true;
  });
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var d = evt.detail;
    if (resyncing && pushedMeanwhile && resyncTries < 3 && d && d.target && d.target.id === 'rows') d.shouldSwap = false;
  });
  document.addEventListener('htmx:sseOpen', function () {
    setLive('live', 'live');
    // A container page's connection starts its log over with the last
    // lines: those shown before are replaced, not repeated.
    var lines = document.getElementById('log-lines');
    if (lines) lines.replaceChildren();
    resync();
  });
  // The server asks for a resync when it had to drop live updates.
  document.addEventListener('sse:resync', resync);
  document.addEventListener('htmx:sseError', function () {
    setLive(navigator.onLine === false ? 'offline' : 'reconnecting', navigator.onLine === false ? 'offline' : 'reconnecting…');
  });
  window.addEventListener('offline', function () { setLive('offline', 'offline'); });

  function rowOf(el) {
    return el && el.closest ? el.closest('[role=row][data-name]') : null;
  }

  // A row whose action is in flight is busy, from the click on (the
  // stylesheet already shows its transitional label): its buttons are
  // disabled, except the one that holds the keyboard focus, which is marked
  // disabled with ARIA only, since disabling it would drop the focus to the
  // top of the page. The stylesheet makes it inert and hx-sync drops a
  // second submission. A refused request gives the buttons back.
  function setBusy(row, busy) {
    if (!row) return;
    if (busy) row.setAttribute('aria-busy', 'true');
    else row.removeAttribute('aria-busy');
    row.querySelectorAll('button[data-op]').forEach(function (b) {
      if (!busy) {
        b.removeAttribute('aria-disabled');
        if (b.hasAttribute('data-busy-disabled')) {
          b.removeAttribute('data-busy-disabled');
          b.disabled = false;
        }
      } else if (b === document.activeElement) {
        b.setAttribute('aria-disabled', 'true');
      } else if (!b.disabled) {
        b.setAttribute('data-busy-disabled', '');
        b.disabled = true;
      }
    });
  }
  document.addEventListener('htmx:beforeRequest', function (evt) {
    setBusy(rowOf(evt.detail && evt.detail.elt), true);
  });
  document.addEventListener('htmx:afterRequest', function (evt) {
    setBusy(rowOf(evt.detail && evt.detail.elt), false);
  });

  // A row never goes back to an older rendering. An action's answer and
  // the live feed travel on two connections, so the push of a fast
  // operation's end may arrive before the answer that began it.
  function olderThan(incoming, current) {
    var a = Number(incoming), b = Number(current && current.dataset.version);
    return !isNaN(a) && !isNaN(b) && a < b;
  }
  document.addEventListener('htmx:oobBeforeSwap', function (evt) {
    var d = evt.detail;
    if (!d || !d.target || !d.fragment || !d.fragment.querySelector) return;
    var row = d.fragment.querySelector('[role=row][data-version]');
    if (row && row.id === d.target.id && olderThan(row.dataset.version, d.target)) d.shouldSwap = false;
  });
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var d = evt.detail;
    if (!d || !d.target || !d.target.matches || !d.target.matches('[role=row][data-version]')) return;
    var m = /^\s*<div\b[^>]*\bdata-version="(\d+)"/.exec(d.serverResponse || '');
    if (m && olderThan(m[1], d.target)) d.shouldSwap = false;
  });

  // A row inserted by the live feed that the page already shows (a table
  // fetched after the insert but before its event arrived) stays as it is:
  // the fetched row is at least as new.
  document.addEventListener('htmx:oobBeforeSwap', function (evt) {
    var d = evt.detail;
    if (!d || !d.target || !(d.target.id === 'empty' || d.target.classList.contains('empty')) || !d.fragment) return;
    var row = d.fragment.querySelector && d.fragment.querySelector('[role=row][id]');
    if (row && document.getElementById(row.id)) d.shouldSwap = false;
  });

  // Dismiss removes the button that had the focus, with the error it
  // dismissed, whichever comes first of its answer and the pushed row; the
  // focus then goes to the row's first enabled control instead of the top
  // of the page. (Once there, htmx keeps it through later swaps.)
  var dismissing = null;
  document.addEventListener('htmx:beforeRequest', function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.contains && elt.contains(document.activeElement) && elt.querySelector('button[data-op=dismiss]')) {
      var row = rowOf(elt);
      dismissing = row ? row.id : null;
    }
  });
  function afterDismiss() {
    if (dismissing === null) return;
    var row = document.getElementById(dismissing);
    if (row && row.querySelector('button[data-op=dismiss]')) return; // not swapped yet
    dismissing = null;
    if (!row || (document.activeElement && document.activeElement !== document.body)) return;
    var next = row.querySelector('button[data-op]:not(:disabled)') || row.querySelector('a[href]');
    if (next) next.focus({ preventScroll: true });
  }
  document.addEventListener('htmx:afterSettle', afterDismiss);
  document.addEventListener('htmx:oobAfterSwap', afterDismiss);

  // Filter and sort, for servers with many containers. Both are applied
  // again whenever rows change, so live updates and inserted rows keep the
  // view.
  var sortKey = 'name';
  // The names selected for a bulk action, kept here since a live update of
  // a row replaces its checkbox.
  var selected = new Set();
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

  // move puts row before ref keeping its state: moveBefore keeps the focus
  // inside a moved row; where it is missing the focus is put back.
  function move(tbody, row, ref) {
    if (tbody.moveBefore) {
      tbody.moveBefore(row, ref);
      return;
    }
    var a = document.activeElement;
    tbody.insertBefore(row, ref);
    if (a && row.contains(a) && document.activeElement !== a) a.focus({ preventScroll: true });
  }

  // The views of the select #show, as templates.Row.Shown keeps them.
  var busyStates = { stopping: true, starting: true, restarting: true };
  function inView(row, show) {
    switch (show) {
      case 'unhealthy': return row.dataset.health === 'unhealthy';
      case 'running': return row.dataset.state === 'running';
      case 'stopped': return row.dataset.state === 'stopped';
      case 'busy': return busyStates[row.dataset.state] === true;
    }
    return true;
  }

  // The hosts whose group the operator collapsed, kept here since a
  // fetch of the whole table (each time the live connection opens again)
  // brings every group expanded.
  var collapsedHosts = new Set();

  // The parts of the table that are sorted on their own: the table, or
  // each host's group on a dashboard of several hosts (whose host filter
  // hides the groups it does not keep). A part hidden or collapsed keeps
  // none of its rows selected.
  function parts(tbody) {
    if (!tbody.dataset.hosts) return [{ el: tbody, end: document.getElementById('empty'), shown: true, selectable: true }];
    var hostSelect = document.getElementById('host-filter');
    var only = hostSelect ? hostSelect.value : '';
    return Array.prototype.map.call(tbody.querySelectorAll('.host-group'), function (g) {
      var keep = only === '' || g.dataset.host === only;
      if (g.hidden !== !keep) g.hidden = !keep;
      var collapsed = collapsedHosts.has(g.dataset.host);
      if (g.classList.contains('collapsed') !== collapsed) g.classList.toggle('collapsed', collapsed);
      return { el: g, end: g.querySelector('.empty'), shown: keep, selectable: keep && !collapsed };
    });
  }

  // A host's header says whether the host is reachable: its rows carry
  // the same mark, kept here since the header is swapped on its own.
  function markHost(group) {
    var head = group.querySelector('.host-head');
    setMarks(group, head ? head.dataset.down || '' : '');
    var toggle = group.querySelector('.host-toggle');
    if (toggle) toggle.setAttribute('aria-expanded', group.classList.contains('collapsed') ? 'false' : 'true');
  }

  function setMarks(el, down) {
    el.querySelectorAll('.host-mark').forEach(function (m) {
      if (m.textContent !== down) m.textContent = down;
      if (m.hidden !== (down === '')) m.hidden = down === '';
    });
  }

  // A container's page of a dashboard of several hosts has its host's
  // banner and no header: its row's mark follows the banner.
  function markPage() {
    var main = document.querySelector('[data-container]');
    var row = main && document.getElementById(main.dataset.rowId);
    if (!row || !row.dataset.host) return;
    var status = document.getElementById('scan-status-' + row.dataset.host);
    setMarks(row, status ? status.dataset.down || '' : '');
  }

  function applyView() {
    var tbody = document.getElementById('rows');
    if (!tbody) {
      markPage();
      return;
    }
    var input = document.getElementById('filter');
    var select = document.getElementById('show');
    var q = input ? input.value.trim().toLowerCase() : '';
    var show = select ? select.value : '';
    var shown = 0, total = 0, unhealthy = 0;
    parts(tbody).forEach(function (p) {
      if (p.el !== tbody) markHost(p.el);
      var c = arrange(p, q, show);
      shown += c.shown;
      total += c.total;
      unhealthy += c.unhealthy;
    });
    var count = document.getElementById('unhealthy-count');
    if (count) {
      count.hidden = unhealthy === 0;
      var text = unhealthy + ' unhealthy';
      if (count.textContent !== text) count.textContent = text;
    }
    updateSelection();
    var none = document.getElementById('no-match');
    if (none) none.hidden = !((q !== '' || show !== '') && shown === 0 && total > 0);
  }

  // arrange filters (by the text q and the view show) and sorts the rows
  // of one part (parts), before the part's end; a part not shown (another
  // host) counts none of its rows, and one not selectable (also
  // collapsed) keeps none selected.
  function arrange(part, q, show) {
    var rows = rowsOf(part.el);
    var shown = 0;
    var unhealthy = 0;
    rows.forEach(function (r) {
      var hay = (r.dataset.name + ' ' + (r.dataset.image || '') + ' ' + r.dataset.state + ' ' + (r.dataset.health || '') + ' ' + (r.dataset.host || '')).toLowerCase();
      var match = (q === '' || hay.indexOf(q) >= 0) && inView(r, show);
      if (r.hidden !== !match) r.hidden = !match;
      if (match && part.shown) shown++;
      if (r.dataset.health === 'unhealthy' && part.shown) unhealthy++;
      // A swapped row comes with its checkbox clear: the selection is
      // kept here. A bulk action acts on what the operator sees: a row the
      // filter hides is no longer selected.
      var box = r.querySelector('input.select');
      if (!box) return;
      if (!match || !part.selectable) selected.delete(box.value);
      if (box.checked !== selected.has(box.value)) box.checked = selected.has(box.value);
    });
    var sorted = rows.slice().sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === y) { x = a.dataset.name; y = b.dataset.name; }
      return x < y ? -sortDir : x > y ? sortDir : 0;
    });
    // Only rows out of place move: a row inserted at the end moves alone.
    var cur = rows.length ? rows[0] : null;
    for (var i = 0; i < sorted.length; i++) {
      if (sorted[i] === cur) {
        cur = nextRow(cur);
      } else {
        move(part.el, sorted[i], cur || part.end);
      }
    }
    return { shown: shown, total: rows.length, unhealthy: unhealthy };
  }

  // The selection for a bulk action: "select all shown" in the table's
  // header, a count beside the bulk buttons, which have nothing to act on
  // while no row is selected.
  var selectAll = document.getElementById('select-all');
  if (selectAll) selectAll.hidden = false;

  function shownBoxes() {
    return Array.prototype.filter.call(document.querySelectorAll('#rows [role=row][data-name] input.select'), function (b) {
      var g = b.closest('.host-group');
      return !b.closest('[role=row]').hidden && !(g && (g.hidden || g.classList.contains('collapsed')));
    });
  }

  function updateSelection() {
    var boxes = shownBoxes();
    var checked = boxes.filter(function (b) { return b.checked; }).length;
    var all = document.getElementById('select-all');
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var label = document.getElementById('selected-count');
    if (label) {
      var text = checked === 0 ? 'Select containers to act on several at once:' : checked + ' selected:';
      if (label.textContent !== text) label.textContent = text;
    }
    document.querySelectorAll('#bulk button[name=op], #bulk-kill').forEach(function (b) {
      if (b.tagName === 'SUMMARY') b.setAttribute('aria-disabled', checked === 0 ? 'true' : 'false');
      else b.disabled = checked === 0;
    });
  }

  document.addEventListener('change', function (evt) {
    var t = evt.target;
    if (!t) return;
    if (t.id === 'select-all') {
      shownBoxes().forEach(function (b) {
        b.checked = t.checked;
        if (t.checked) selected.add(b.value);
        else selected.delete(b.value);
      });
      updateSelection();
    } else if (t.matches && t.matches('input.select')) {
      if (t.checked) selected.add(t.value);
      else selected.delete(t.value);
      updateSelection();
    } else if (t.id === 'show' || t.id === 'host-filter') {
      var url = new URL(window.location.href);
      if (t.value) url.searchParams.set(t.name, t.value);
      else url.searchParams.delete(t.name);
      history.replaceState(null, '', url);
      applyView();
    }
  });

  // After a bulk action the selection is done with: the rows show what
  // became of each container.
  document.addEventListener('htmx:afterRequest', function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt || elt.id !== 'bulk' || !evt.detail.xhr || evt.detail.xhr.status >= 500) return;
    selected.clear();
    document.querySelectorAll('#rows input.select:checked').forEach(function (b) { b.checked = false; });
    var details = elt.querySelector('details[open]');
    if (details) details.open = false;
    updateSelection();
  });

  function nextRow(r) {
    for (var n = r.nextElementSibling; n; n = n.nextElementSibling) {
      if (n.matches('[role=row][data-name]')) return n;
    }
    return null;
  }

  document.addEventListener('input', function (evt) {
    if (evt.target && evt.target.id === 'filter') applyView();
  });
  document.addEventListener('click', function (evt) {
    // The unhealthy count shows the unhealthy rows without a page load.
    var link = evt.target.closest && evt.target.closest('#unhealthy-count');
    var select = document.getElementById('show');
    if (link && select) {
      evt.preventDefault();
      select.value = 'unhealthy';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      return;
    }
    // A host's header collapses and expands its group.
    var toggle = evt.target.closest && evt.target.closest('.host-toggle');
    if (toggle) {
      var group = toggle.closest('.host-group');
      if (group) {
        if (collapsedHosts.has(group.dataset.host)) collapsedHosts.delete(group.dataset.host);
        else collapsedHosts.add(group.dataset.host);
        applyView();
      }
      return;
    }
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
    // The countdown to Podman's SIGKILL of a stop, and its bar.
    var kills = document.querySelectorAll('.sigkill[data-since][data-after]');
    for (var k = 0; k < kills.length; k++) {
      var start = Date.parse(kills[k].dataset.since);
      var left = Number(kills[k].dataset.after) * 1000 - (now - start);
      if (!isNaN(start)) kills[k].textContent = left > 0 ? formatElapsed(left + 999) : 'now';
    }
    var bars = document.querySelectorAll('progress.deadline[data-since]');
    for (var b = 0; b < bars.length; b++) {
      var from = Date.parse(bars[b].dataset.since);
      if (!isNaN(from)) bars[b].value = Math.min(bars[b].max, Math.max(0, (now - from) / 1000));
    }
    var toasts = document.querySelectorAll('#toasts .toast');
    for (var j = 0; j < toasts.length; j++) {
      var t = toasts[j];
      if (!t.dataset.born) t.dataset.born = String(now);
      else if (now - Number(t.dataset.born) > 15000) t.remove();
    }
  }
  setInterval(tick, 1000);

  // A container's live log: the page keeps its last lines (data-keep) and
  // follows the newest unless the operator paused it; timestamps show on
  // demand. The lines are text the server escaped: nothing here parses
  // them.
  var logPaused = false;
  var pauseBtn = document.getElementById('log-pause');
  var timesLabel = document.getElementById('log-times-label');
  if (pauseBtn) pauseBtn.hidden = false;
  if (timesLabel) timesLabel.hidden = false;
  function setLogPaused(paused) {
    logPaused = paused;
    if (!pauseBtn) return;
    pauseBtn.setAttribute('aria-pressed', paused ? 'true' : 'false');
    pauseBtn.textContent = paused ? 'Resume auto-scroll' : 'Pause auto-scroll';
  }
  function followLog() {
    var box = document.getElementById('log-box');
    var lines = document.getElementById('log-lines');
    if (!box || !lines) return;
    var keep = Number(box.dataset.keep) || 2000;
    while (lines.childElementCount > keep) lines.firstElementChild.remove();
    if (!logPaused) box.scrollTop = box.scrollHeight;
  }
  document.addEventListener('htmx:oobAfterSwap', function (evt) {
    var t = evt.detail && evt.detail.target;
    if (t && t.id === 'log-lines') followLog();
  });
  document.addEventListener('click', function (evt) {
    if (evt.target && evt.target.id === 'log-pause') {
      setLogPaused(!logPaused);
      if (!logPaused) followLog();
    }
  });
  document.addEventListener('change', function (evt) {
    if (evt.target && evt.target.id === 'log-times') {
      var box = document.getElementById('log-box');
      if (box) box.classList.toggle('show-times', evt.target.checked);
    }
  });
  document.addEventListener('htmx:afterSettle', tick);
  document.addEventListener('htmx:oobAfterSwap', tick);
  document.addEventListener('DOMContentLoaded', function () { tick(); applyView(); });
})();
