// koho — the post editor's live checking.
//
// Without this script the editor is a plain form: saving stores a checked version and the
// server shows its findings. With it, every change is checked ~80 ms after the last
// keystroke against the municipality's guideline through POST /api/check: the common text
// once (findings marked in the mirror under the transparent textarea and listed with their
// clause), and the text each chosen platform will get (its own text, or the common one)
// once per platform, for the length as that platform counts it and a preview. Markup comes
// from <template> elements the server rendered; text is only ever set with textContent.
// Messages come from the server's catalogue (#koho-messages).
'use strict';

(function () {
  const form = document.getElementById('post-form');
  if (!form) {
    return;
  }
  const guideline = form.dataset.guideline || undefined;
  const text = document.getElementById('text');
  const mirror = document.getElementById('mirror');
  const status = document.getElementById('status');
  const list = document.getElementById('findings');
  const findingTemplate = document.getElementById('finding-template');
  const clauseTemplate = document.getElementById('clause-template');
  const accounts = Array.from(form.querySelectorAll('input[name="account"]'));
  const panels = {};
  document.querySelectorAll('.platform-panel').forEach(function (p) {
    panels[p.dataset.platform] = p;
  });
  const variants = {};
  form.querySelectorAll('.variant').forEach(function (v) {
    variants[v.dataset.platform] = v;
  });

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

  const DEBOUNCE_MS = 80;
  const RANK = { info: 1, warning: 2, error: 3 };
  let timer = 0;
  let sequence = 0;
  let controller = null;

  function selected() {
    const out = [];
    accounts.forEach(function (a) {
      if (a.checked && out.indexOf(a.dataset.platform) < 0) {
        out.push(a.dataset.platform);
      }
    });
    return out;
  }

  function variantText(p) {
    const v = variants[p];
    const area = v ? v.querySelector('textarea') : null;
    return area && area.value.trim() ? area.value : null;
  }

  function slot(root, name) {
    return root.querySelector('[data-slot="' + name + '"]');
  }

  function setText(el, value) {
    if (el && el.textContent !== value) {
      el.textContent = value;
    }
  }

  // Panels and per-platform texts follow the accounts chosen; a platform's own text that
  // was typed stays visible so that nothing typed is hidden.
  function updateVisibility() {
    const on = selected();
    Object.keys(panels).forEach(function (p) {
      panels[p].hidden = on.indexOf(p) < 0;
    });
    Object.keys(variants).forEach(function (p) {
      variants[p].hidden = on.indexOf(p) < 0 && !variantText(p);
    });
  }

  function updatePreviews() {
    Object.keys(panels).forEach(function (p) {
      const own = variantText(p);
      setText(slot(panels[p], 'preview'), own === null ? text.value : own);
      setText(slot(panels[p], 'source'), msg(own === null ? 'posts.live.preview_common' : 'posts.live.preview_variant'));
    });
  }

  function setStatus(message, isError) {
    setText(status, message);
    status.classList.toggle('results__status--error', Boolean(isError));
  }

  // Same algorithm as `pages::segments` on the server.
  function renderMirror(chars, diagnostics) {
    const n = chars.length;
    const cuts = new Set([0, n]);
    diagnostics.forEach(function (d) {
      cuts.add(Math.min(d.start, n));
      cuts.add(Math.min(d.end, n));
    });
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
      const piece = chars.slice(a, b).join('');
      if (worst) {
        const mark = document.createElement('mark');
        mark.className = 'sev-' + worst;
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

  function fillSlot(root, name, value) {
    const el = slot(root, name);
    if (el) {
      el.textContent = value;
    }
    return el;
  }

  function renderFindings(diagnostics) {
    const fragment = document.createDocumentFragment();
    diagnostics.forEach(function (d) {
      const item = findingTemplate.content.firstElementChild.cloneNode(true);
      item.className = 'finding finding--' + d.severity;
      item.dataset.start = String(d.start);
      item.dataset.end = String(d.end);
      const badge = fillSlot(item, 'severity', msg('severity.' + d.severity));
      if (badge) {
        badge.className = 'badge badge--' + d.severity;
      }
      fillSlot(item, 'category', msg('category.' + d.category));
      fillSlot(item, 'rule', d.rule);
      fillSlot(item, 'message', d.message);
      fillSlot(item, 'excerpt', d.excerpt);
      fillSlot(item, 'position', msg('check.position', { start: d.start + 1, end: Math.max(d.end, d.start + 1) }));
      const select = slot(item, 'select');
      if (select) {
        select.hidden = false;
      }
      const suggestionRow = slot(item, 'suggestion-row');
      if (suggestionRow) {
        suggestionRow.hidden = !d.suggestion;
        fillSlot(item, 'suggestion', d.suggestion || '');
      }
      const clauses = slot(item, 'clauses');
      (d.clauses || []).forEach(function (c) {
        const li = clauseTemplate.content.firstElementChild.cloneNode(true);
        fillSlot(li, 'label', c.clause);
        fillSlot(li, 'text', c.text);
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

  // One platform: its length as it counts, and the findings that are its own (those of its
  // own text, or the length of the common text).
  function renderPanel(p, json, own) {
    const panel = panels[p];
    if (!panel) {
      return;
    }
    const box = slot(panel, 'length');
    const length = json.length;
    if (length) {
      const over = length.count > length.limit;
      box.classList.toggle('length--over', over);
      const count = slot(panel, 'count');
      count.hidden = false;
      setText(count, msg('length.counter', { count: length.count, limit: length.limit }));
      setText(slot(panel, 'state'), over
        ? msg('length.over', { n: length.count - length.limit })
        : msg('length.remaining', { n: length.limit - length.count }));
      const unit = slot(panel, 'unit');
      unit.hidden = false;
      setText(unit, msg('length.unit_' + length.unit));
    } else {
      box.classList.remove('length--over');
      slot(panel, 'count').hidden = true;
      slot(panel, 'unit').hidden = true;
      setText(slot(panel, 'state'), msg('length.no_limit'));
    }
    const mine = (json.diagnostics || []).filter(function (d) {
      return own || d.category === 'length';
    });
    const fragment = document.createDocumentFragment();
    mine.forEach(function (d) {
      const li = document.createElement('li');
      li.className = 'platform-panel__finding finding--' + d.severity;
      const clauses = (d.clauses || []).map(function (c) { return c.clause; }).join(' / ');
      li.textContent = msg('posts.live.panel_finding', {
        severity: msg('severity.' + d.severity),
        message: d.message,
        clauses: clauses,
      });
      fragment.appendChild(li);
    });
    slot(panel, 'findings').replaceChildren(fragment);
  }

  function request(body, signal) {
    if (guideline) {
      body.guideline = guideline;
    }
    return fetch('/api/check', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal: signal,
    }).then(function (response) {
      return response.json().then(function (json) {
        return { ok: response.ok, json: json };
      });
    });
  }

  function check() {
    window.clearTimeout(timer);
    if (controller) {
      controller.abort();
    }
    const mine = ++sequence;
    const value = text.value;
    updateVisibility();
    updatePreviews();
    if (!value.trim()) {
      renderMirror(Array.from(value), []);
      renderFindings([]);
      setStatus(msg('check.not_checked'), false);
      return;
    }
    controller = new AbortController();
    const platforms = selected();
    const jobs = [request({ text: value }, controller.signal)];
    platforms.forEach(function (p) {
      const own = variantText(p);
      jobs.push(request({ text: own === null ? value : own, platform: p }, controller.signal));
    });
    Promise.all(jobs)
      .then(function (results) {
        if (mine !== sequence) {
          return;
        }
        const main = results[0];
        const chars = Array.from(value);
        if (!main.ok) {
          const e = (main.json && main.json.error) || {};
          renderMirror(chars, []);
          renderFindings([]);
          setStatus(msg('check.failed', { code: e.code || '', message: e.message || '' }), true);
          return;
        }
        const diagnostics = main.json.diagnostics || [];
        renderMirror(chars, diagnostics);
        renderFindings(diagnostics);
        setStatus(summary(diagnostics), false);
        platforms.forEach(function (p, i) {
          const r = results[i + 1];
          if (r.ok) {
            renderPanel(p, r.json, variantText(p) !== null);
          }
        });
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
    updatePreviews();
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DEBOUNCE_MS);
  }

  text.addEventListener('input', schedule);
  text.addEventListener('scroll', function () {
    mirror.scrollTop = text.scrollTop;
  });
  Object.keys(variants).forEach(function (p) {
    variants[p].querySelector('textarea').addEventListener('input', schedule);
  });
  accounts.forEach(function (a) {
    a.addEventListener('change', check);
  });
  list.addEventListener('click', function (event) {
    const button = event.target.closest('[data-slot="select"]');
    if (!button) {
      return;
    }
    const item = button.closest('.finding');
    const chars = Array.from(text.value);
    let from = 0;
    let to = 0;
    for (let i = 0; i < chars.length && i < Number(item.dataset.end); i++) {
      if (i < Number(item.dataset.start)) {
        from += chars[i].length;
      }
      to += chars[i].length;
    }
    text.focus();
    text.setSelectionRange(from, to);
  });
  updateVisibility();
  if (text.value.trim()) {
    check();
  }
})();
