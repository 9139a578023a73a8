// koho — the editor's live checking.
//
// Without this script the editor is a plain form: it posts to /check and the
// server renders the same results. With it, every change is checked ~50 ms after
// the last keystroke through POST /api/check, findings are marked in a mirror of
// the text under the (transparent) textarea and listed with the clause they rest
// on. Markup comes from <template> elements the server rendered, and text is only
// ever set with textContent. Messages come from the server's catalogue
// (#koho-messages), never from this file.
'use strict';

(function () {
  const form = document.getElementById('check-form');
  if (!form) {
    return;
  }
  const text = document.getElementById('text');
  const mirror = document.getElementById('mirror');
  const platform = document.getElementById('platform');
  const status = document.getElementById('status');
  const list = document.getElementById('findings');
  const findingTemplate = document.getElementById('finding-template');
  const clauseTemplate = document.getElementById('clause-template');
  const lengthBox = document.getElementById('length');
  const lengthCount = document.getElementById('length-count');
  const lengthState = document.getElementById('length-state');
  const lengthUnit = document.getElementById('length-unit');

  let messages = {};
  try {
    messages = JSON.parse(document.getElementById('koho-messages').textContent);
  } catch (e) {
    messages = {};
  }
  function msg(key, args) {
    const template = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return args && Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
    });
  }

  const DEBOUNCE_MS = 50;
  const RANK = { info: 1, warning: 2, error: 3 };
  let timer = 0;
  let sequence = 0;
  let controller = null;
  // What the mirror and the list show: the text (as code points) and its findings.
  let shown = { chars: Array.from(text.value), diagnostics: [], overAt: null };
  let renderedKey = '';
  const limits = {};

  function guidelineValue() {
    const g = form.elements.namedItem('guideline');
    return g && g.value ? g.value : undefined;
  }

  function setStatus(message, isError) {
    if (status.textContent !== message) {
      status.textContent = message;
    }
    status.classList.toggle('results__status--error', Boolean(isError));
  }

  // Same algorithm as `pages::segments` on the server.
  function renderMirror(chars, diagnostics, overAt) {
    const n = chars.length;
    const cuts = new Set([0, n]);
    diagnostics.forEach(function (d) {
      cuts.add(Math.min(d.start, n));
      cuts.add(Math.min(d.end, n));
    });
    if (overAt !== null && overAt !== undefined) {
      cuts.add(Math.min(overAt, n));
    }
    const points = Array.from(cuts).sort(function (a, b) { return a - b; });
    const fragment = document.createDocumentFragment();
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i];
      const b = points[i + 1];
      if (a === b) {
        continue;
      }
      let worst = null;
      diagnostics.forEach(function (d) {
        if (d.start <= a && d.end >= b && d.end > d.start && (worst === null || RANK[d.severity] > RANK[worst])) {
          worst = d.severity;
        }
      });
      const classes = [];
      if (worst) {
        classes.push('sev-' + worst);
      }
      if (overAt !== null && overAt !== undefined && a >= overAt) {
        classes.push('over');
      }
      const piece = chars.slice(a, b).join('');
      if (classes.length) {
        const mark = document.createElement('mark');
        mark.className = classes.join(' ');
        mark.textContent = piece;
        fragment.appendChild(mark);
      } else {
        fragment.appendChild(document.createTextNode(piece));
      }
    }
    fragment.appendChild(document.createElement('br'));
    mirror.replaceChildren(fragment);
    mirror.scrollTop = text.scrollTop;
  }

  // While a check is on its way, findings away from the edit keep their place.
  function shift(oldChars, newChars, diagnostics) {
    let prefix = 0;
    const max = Math.min(oldChars.length, newChars.length);
    while (prefix < max && oldChars[prefix] === newChars[prefix]) {
      prefix++;
    }
    let suffix = 0;
    while (suffix < max - prefix &&
      oldChars[oldChars.length - 1 - suffix] === newChars[newChars.length - 1 - suffix]) {
      suffix++;
    }
    const oldEditEnd = oldChars.length - suffix;
    const delta = newChars.length - oldChars.length;
    const out = [];
    diagnostics.forEach(function (d) {
      if (d.end <= prefix) {
        out.push(d);
      } else if (d.start >= oldEditEnd) {
        out.push({ start: d.start + delta, end: d.end + delta, severity: d.severity });
      }
    });
    return out;
  }

  function utf16Offset(chars, index) {
    let offset = 0;
    for (let i = 0; i < index && i < chars.length; i++) {
      offset += chars[i].length;
    }
    return offset;
  }

  function selectInText(start, end) {
    const chars = Array.from(text.value);
    text.focus();
    text.setSelectionRange(utf16Offset(chars, start), utf16Offset(chars, end));
  }

  function fill(root, slot, value) {
    const el = root.querySelector('[data-slot="' + slot + '"]');
    if (el) {
      el.textContent = value;
    }
    return el;
  }

  function renderFindings(diagnostics) {
    const key = JSON.stringify(diagnostics);
    if (key === renderedKey) {
      return;
    }
    renderedKey = key;
    const fragment = document.createDocumentFragment();
    diagnostics.forEach(function (d) {
      const item = findingTemplate.content.firstElementChild.cloneNode(true);
      item.className = 'finding finding--' + d.severity;
      item.dataset.start = String(d.start);
      item.dataset.end = String(d.end);
      const badge = fill(item, 'severity', msg('severity.' + d.severity));
      if (badge) {
        badge.className = 'badge badge--' + d.severity;
      }
      fill(item, 'category', msg('category.' + d.category));
      fill(item, 'rule', d.rule);
      fill(item, 'message', d.message);
      fill(item, 'excerpt', d.excerpt);
      fill(item, 'position', msg('check.position', { start: d.start + 1, end: Math.max(d.end, d.start + 1) }));
      const select = item.querySelector('[data-slot="select"]');
      if (select) {
        select.hidden = false;
      }
      const suggestionRow = item.querySelector('[data-slot="suggestion-row"]');
      if (suggestionRow) {
        suggestionRow.hidden = !d.suggestion;
        fill(item, 'suggestion', d.suggestion || '');
      }
      const clauses = item.querySelector('[data-slot="clauses"]');
      (d.clauses || []).forEach(function (c) {
        const li = clauseTemplate.content.firstElementChild.cloneNode(true);
        fill(li, 'label', c.clause);
        fill(li, 'text', c.text);
        clauses.appendChild(li);
      });
      fragment.appendChild(item);
    });
    list.replaceChildren(fragment);
  }

  function summary(diagnostics) {
    if (!diagnostics.length) {
      return msg('check.no_findings');
    }
    const count = function (s) {
      return diagnostics.filter(function (d) { return d.severity === s; }).length;
    };
    return msg('check.summary', {
      n: diagnostics.length,
      errors: count('error'),
      warnings: count('warning'),
      infos: count('info'),
    });
  }

  function renderLength(length, count) {
    const p = platform.value;
    if (!p) {
      lengthBox.classList.remove('length--over');
      lengthCount.hidden = true;
      lengthUnit.hidden = true;
      lengthState.textContent = msg('length.no_platform');
      return;
    }
    if (length) {
      limits[p] = { limit: length.limit, unit: length.unit };
    } else if (count === 0 && limits[p]) {
      length = { count: 0, limit: limits[p].limit, unit: limits[p].unit };
    } else if (count === 0) {
      return;
    }
    if (!length) {
      lengthBox.classList.remove('length--over');
      lengthCount.hidden = true;
      lengthUnit.hidden = true;
      lengthState.textContent = msg('length.no_limit');
      return;
    }
    const over = length.count > length.limit;
    lengthBox.classList.toggle('length--over', over);
    lengthCount.hidden = false;
    lengthCount.textContent = msg('length.counter', { count: length.count, limit: length.limit });
    lengthState.textContent = over
      ? msg('length.over', { n: length.count - length.limit })
      : msg('length.remaining', { n: length.limit - length.count });
    lengthUnit.hidden = false;
    lengthUnit.textContent = msg('length.unit_' + length.unit);
  }

  function showPlain() {
    const chars = Array.from(text.value);
    const diagnostics = shift(shown.chars, chars, shown.diagnostics);
    shown = { chars: chars, diagnostics: diagnostics, overAt: null };
    renderMirror(chars, diagnostics, null);
  }

  function check() {
    window.clearTimeout(timer);
    const value = text.value;
    if (controller) {
      controller.abort();
    }
    const mine = ++sequence;
    if (!value.trim()) {
      shown = { chars: Array.from(value), diagnostics: [], overAt: null };
      renderMirror(shown.chars, [], null);
      renderFindings([]);
      renderLength(null, 0);
      setStatus(msg('check.not_checked'), false);
      return;
    }
    controller = new AbortController();
    const body = { text: value };
    if (platform.value) {
      body.platform = platform.value;
    }
    const g = guidelineValue();
    if (g) {
      body.guideline = g;
    }
    fetch('/api/check', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal: controller.signal,
    })
      .then(function (response) {
        return response.json().then(function (json) {
          return { ok: response.ok, json: json };
        });
      })
      .then(function (result) {
        if (mine !== sequence) {
          return;
        }
        const chars = Array.from(value);
        if (!result.ok) {
          const e = (result.json && result.json.error) || {};
          shown = { chars: chars, diagnostics: [], overAt: null };
          renderMirror(chars, [], null);
          renderFindings([]);
          setStatus(msg('check.failed', { code: e.code || '', message: e.message || '' }), true);
          return;
        }
        const diagnostics = result.json.diagnostics || [];
        const length = result.json.length || null;
        const overAt = length && length.over_at !== undefined ? length.over_at : null;
        shown = { chars: chars, diagnostics: diagnostics, overAt: overAt };
        renderMirror(chars, diagnostics, overAt);
        renderFindings(diagnostics);
        renderLength(length, chars.length);
        setStatus(summary(diagnostics), false);
      })
      .catch(function (e) {
        if (e && e.name === 'AbortError') {
          return;
        }
        if (mine === sequence) {
          setStatus(msg('check.offline'), true);
        }
      });
  }

  function schedule() {
    showPlain();
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DEBOUNCE_MS);
  }

  text.addEventListener('input', schedule);
  text.addEventListener('scroll', function () {
    mirror.scrollTop = text.scrollTop;
  });
  platform.addEventListener('change', check);
  const g = form.elements.namedItem('guideline');
  if (g && g.tagName === 'SELECT') {
    g.addEventListener('change', check);
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    check();
  });
  list.addEventListener('click', function (event) {
    const button = event.target.closest('[data-slot="select"]');
    if (!button) {
      return;
    }
    const item = button.closest('.finding');
    selectInText(Number(item.dataset.start), Number(item.dataset.end));
  });
  list.querySelectorAll('[data-slot="select"]').forEach(function (b) {
    b.hidden = false;
  });
  if (status.dataset.checked !== 'true' && text.value.trim()) {
    check();
  }
})();
