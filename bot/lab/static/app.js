// The Rotation Lab page: plain SVG drawn by this file, no library, nothing fetched from
// anywhere but this server. Telegram's launch parameters are read from the URL fragment
// (tgWebAppData, tgWebAppThemeParams, tgWebAppStartParam), as Telegram passes them.
(() => {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4',
    '#f032e6', '#9a6324', '#469990', '#808000', '#000075', '#a9a9a9'];
  const TABS = ['rrg', 'heatmap', 'breadth', 'pairs'];
  const ZOOMS = [['1Y', 52], ['3Y', 156], ['5Y', 260], ['all', 0]];
  const launch = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const initData = launch.get('tgWebAppData') || '';
  const signed = new URLSearchParams(initData);
  const startParam = signed.get('start_param') || launch.get('tgWebAppStartParam') || '';
  const [startView, startLanguage] = startParam.includes('_')
    ? [startParam.slice(0, startParam.lastIndexOf('_')), startParam.slice(startParam.lastIndexOf('_') + 1)]
    : [startParam, ''];

  const state = {
    auth: null, words: null, lang: 'en', tab: 'rrg', data: {},
    rrgView: 'rrg-sectors', week: 0, tail: 5, selected: null, playing: null,
    breadthSelected: null, pairsSelected: null, zoom: 52,
  };
  const $ = (id) => document.getElementById(id);

  // --- Telegram's bridge, the few events this page sends and receives ---
  function postEvent(type, data) {
    const body = JSON.stringify({ eventType: type, eventData: data || {} });
    if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data || {}));
    else if (window.parent !== window) window.parent.postMessage(body, '*');
  }
  function receiveEvent(type, data) {
    if (type === 'theme_changed' && data && data.theme_params) applyTheme(data.theme_params);
  }
  window.Telegram = { WebView: { receiveEvent } };
  window.TelegramGameProxy = { receiveEvent };
  window.addEventListener('message', (event) => {
    try {
      const message = JSON.parse(event.data);
      receiveEvent(message.eventType, message.eventData);
    } catch (_) { /* not a Telegram event */ }
  });

  function applyTheme(params) {
    const root = document.documentElement;
    const names = { bg_color: '--bg', text_color: '--text', hint_color: '--hint', link_color: '--link',
      button_color: '--button', button_text_color: '--button-text', secondary_bg_color: '--secondary-bg' };
    for (const [key, variable] of Object.entries(names)) {
      if (/^#[0-9a-fA-F]{6}$/.test(params[key] || '')) root.style.setProperty(variable, params[key]);
    }
    root.classList.toggle('dark', isDark(params.bg_color));
  }
  function isDark(color) {
    if (!/^#[0-9a-fA-F]{6}$/.test(color || '')) return window.matchMedia('(prefers-color-scheme: dark)').matches;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
  }

  // --- data ---
  async function authorize() {
    if (initData) return 'tma ' + initData;
    const token = launch.get('token');
    if (token) {
      history.replaceState(null, '', location.pathname + location.search);
      const answer = await fetch('api/session', { method: 'POST', headers: { Authorization: 'Token ' + token } });
      if (answer.ok) {
        const session = (await answer.json()).session;
        sessionStorage.setItem('labSession', session);
        return 'Bearer ' + session;
      }
    }
    const kept = sessionStorage.getItem('labSession');
    return kept ? 'Bearer ' + kept : null;
  }
  async function getJson(path) {
    const answer = await fetch(path, { headers: { Authorization: state.auth || '' } });
    if (answer.status === 401) throw new Error('refused');
    if (answer.status === 429) throw new Error('busy');
    if (!answer.ok) throw new Error('failed');
    return answer.json();
  }
  async function view(name) {
    if (!state.data[name]) state.data[name] = await getJson('api/view/' + name);
    return state.data[name];
  }
  function say(key) { $('status').textContent = state.words ? state.words[key] || key : key; }
  const w = (key) => state.words[key] || key;
  const named = (name) => (state.words.names && state.words.names[name]) || name;
  const fixed = (value) => (value === null || value === undefined ? '–' : value.toFixed(2));

  // --- drawing helpers ---
  function el(tag, attributes, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attributes) {
    const node = el('text', Object.assign({ x, y }, attributes || {}), parent);
    node.textContent = content;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function quadrantOf(ratio, momentum) {
    if (ratio >= 100) return momentum >= 100 ? 'Leading' : 'Weakening';
    return momentum < 100 ? 'Lagging' : 'Improving';
  }

  // --- the RRG ---
  function rrgScale(doc) {
    let reach = 1.5;
    for (const leg of doc.legs) {
      for (const point of leg.points) {
        if (point) reach = Math.max(reach, Math.abs(point[0] - 100), Math.abs(point[1] - 100));
      }
    }
    reach *= 1.08;
    const size = 360, pad = 26;
    const toX = (ratio) => pad + ((ratio - (100 - reach)) / (2 * reach)) * (size - 2 * pad);
    const toY = (momentum) => size - pad - ((momentum - (100 - reach)) / (2 * reach)) * (size - 2 * pad);
    return { toX, toY, reach, size, pad };
  }
  // Heads close together would print their labels on top of one another: each label takes the
  // free spot nearest its head (above, then below, further out step by step), with a thin line
  // back to the head once it has moved away.
  const LABEL_HEIGHT = 12, LABEL_CHAR = 7;
  function placeLabels(labels, s) {
    const placed = [];
    const overlaps = (box) => placed.some((o) => box.x < o.x + o.w && o.x < box.x + box.w
      && box.y < o.y + o.h && o.y < box.y + box.h);
    labels.sort((a, b) => a.hy - b.hy || a.hx - b.hx);
    for (const item of labels) {
      const width = item.label.length * LABEL_CHAR;
      const x = Math.min(item.hx + 6, s.size - width - 2);
      let box = { x, y: item.hy - 5 - LABEL_HEIGHT + 2, w: width, h: LABEL_HEIGHT };
      for (let step = 1; overlaps(box) && step <= 12; step++) {
        const shift = Math.ceil(step / 2) * LABEL_HEIGHT * (step % 2 ? 1 : -1);
        box = { x, y: item.hy - 5 - LABEL_HEIGHT + 2 + shift, w: width, h: LABEL_HEIGHT };
      }
      box.y = Math.max(2, Math.min(s.size - LABEL_HEIGHT - 2, box.y));
      placed.push(box);
      const baseline = box.y + LABEL_HEIGHT - 2;
      if (Math.abs(baseline - (item.hy - 5)) > LABEL_HEIGHT / 2) {
        el('line', { x1: item.hx, y1: item.hy, x2: box.x, y2: baseline - 4, stroke: item.color,
          'stroke-width': 0.8, 'stroke-opacity': 0.7 }, item.group);
      }
      text(item.group, box.x, baseline, item.label, { 'font-weight': 600 });
    }
  }
  function drawRrg() {
    const doc = state.data[state.rrgView];
    const svg = $('rrg');
    clear(svg);
    if (!doc || !doc.weeks.length) return;
    const s = rrgScale(doc);
    const mid = s.toX(100), midY = s.toY(100), lo = s.pad, hi = s.size - s.pad;
    const quadrants = [['Leading', mid, lo, hi - mid, midY - lo, 'var(--leading)', hi - 4, lo + 12, 'end'],
      ['Weakening', mid, midY, hi - mid, hi - midY, 'var(--weakening)', hi - 4, hi - 6, 'end'],
      ['Lagging', lo, midY, mid - lo, hi - midY, 'var(--lagging)', lo + 4, hi - 6, 'start'],
      ['Improving', lo, lo, mid - lo, midY - lo, 'var(--improving)', lo + 4, lo + 12, 'start']];
    for (const [name, x, y, width, height, color, tx, ty, anchor] of quadrants) {
      el('rect', { x, y, width, height, fill: color, 'fill-opacity': 0.12 }, svg);
      text(svg, tx, ty, w(name), { class: 'quadrant-label', fill: color, 'text-anchor': anchor });
    }
    el('line', { x1: mid, x2: mid, y1: lo, y2: hi, class: 'axis' }, svg);
    el('line', { x1: lo, x2: hi, y1: midY, y2: midY, class: 'axis' }, svg);
    text(svg, s.size / 2, s.size - 6, w('rs_ratio'), { class: 'tick', 'text-anchor': 'middle' });
    text(svg, 10, s.size / 2, w('rs_momentum'), { class: 'tick', 'text-anchor': 'middle',
      transform: `rotate(-90 10 ${s.size / 2})` });
    const week = state.week, first = Math.max(0, week - state.tail + 1);
    const labels = [];
    doc.legs.forEach((leg, i) => {
      const color = PALETTE[i % PALETTE.length];
      const points = [];
      for (let k = first; k <= week; k++) if (leg.points[k]) points.push(leg.points[k]);
      const group = el('g', { class: 'leg', 'data-key': leg.key }, svg);
      if (state.selected) group.classList.add(state.selected === leg.key ? 'selected' : 'dim');
      group.addEventListener('click', () => { state.selected = state.selected === leg.key ? null : leg.key; drawRrg(); });
      if (!points.length) return;
      el('polyline', { points: points.map((p) => `${s.toX(p[0])},${s.toY(p[1])}`).join(' '),
        fill: 'none', stroke: color, 'stroke-width': 1.6, 'stroke-linejoin': 'round' }, group);
      points.slice(0, -1).forEach((p) => el('circle', { cx: s.toX(p[0]), cy: s.toY(p[1]), r: 1.8, fill: color }, group));
      const head = points[points.length - 1];
      const current = leg.points[week];
      const headNode = el('circle', { cx: s.toX(head[0]), cy: s.toY(head[1]), r: 5, fill: color,
        stroke: 'var(--bg)', 'stroke-width': 1, class: 'head' }, group);
      if (current) {
        headNode.setAttribute('data-ratio', current[0]);
        headNode.setAttribute('data-momentum', current[1]);
      }
      labels.push({ group, hx: s.toX(head[0]), hy: s.toY(head[1]), label: leg.label, color });
    });
    placeLabels(labels, s);
    $('week').max = String(doc.weeks.length - 1);
    $('week').value = String(week);
    $('week-label').textContent = doc.weeks[week];
    const chosen = doc.legs.find((leg) => leg.key === state.selected);
    const point = chosen && chosen.points[week];
    $('leg-info').textContent = point
      ? `${chosen.label} · ${named(chosen.name)}: ${w('rs_ratio')} ${fixed(point[0])}, ${w('rs_momentum')} ${fixed(point[1])} · ${w(quadrantOf(point[0], point[1]))}`
      : w('tap_leg');
  }
  async function showRrg() {
    const doc = await view(state.rrgView);
    if (state.week >= doc.weeks.length || state.rrgLoaded !== state.rrgView) {
      state.week = doc.weeks.length - 1;
      state.tail = doc.default_tail;
      state.rrgLoaded = state.rrgView;
      $('tail').value = String(state.tail);
    }
    provenance(doc);
    drawRrg();
  }
  function play() {
    const doc = state.data[state.rrgView];
    if (state.playing) { stopPlaying(); return; }
    if (!doc) return;
    if (state.week >= doc.weeks.length - 1) state.week = 0;
    $('play').textContent = w('pause');
    state.playing = setInterval(() => {
      if (state.week >= doc.weeks.length - 1) { stopPlaying(); return; }
      state.week += 1;
      drawRrg();
    }, 600);
  }
  function stopPlaying() {
    clearInterval(state.playing);
    state.playing = null;
    $('play').textContent = w('play');
  }

  // --- the heatmap ---
  function heatColor(value, reach) {
    if (value === null || value === undefined) return 'transparent';
    const t = Math.max(-1, Math.min(1, value / reach));
    const light = 92 - Math.abs(t) * 42;
    return t >= 0 ? `hsl(130 55% ${light}%)` : `hsl(0 70% ${light}%)`;
  }
  function fillTable(table, windows, rows) {
    clear(table);
    const head = table.insertRow();
    head.appendChild(document.createElement('th'));
    for (const window of windows) {
      const th = document.createElement('th');
      th.textContent = window;
      head.appendChild(th);
    }
    for (const row of rows) {
      const tr = table.insertRow();
      const name = tr.insertCell();
      name.className = 'name';
      name.textContent = row.name;
      row.returns.forEach((value, i) => {
        const reach = Math.max(1, ...rows.map((r) => Math.abs(r.returns[i] || 0)));
        const cell = tr.insertCell();
        cell.className = 'num';
        cell.textContent = value === null ? '–' : (Math.abs(value) < 0.05 ? 0 : value).toFixed(1);
        cell.style.background = heatColor(value, reach);
      });
    }
  }
  async function showHeatmap() {
    const doc = await view('heatmap');
    provenance(doc);
    $('etfs-title').textContent = w('etfs');
    // The ticker first: a long name is cut at the cell's end, the ticker stays readable.
    const etfName = (r) => `${r.ticker} ${named(r.name).replace(` (${r.ticker})`, '')}`;
    fillTable($('heatmap-etfs'), doc.windows, doc.etfs.map((r) => ({ name: etfName(r), returns: r.returns })));
    $('factors-title').textContent = w('factors');
    fillTable($('heatmap-factors'), doc.windows, doc.factors.map((r) => ({ name: named(r.name), returns: r.spreads })));
    const members = doc.members[0];
    $('members-title').textContent = members ? `${w('from_members')} · ${named(members.index)}` : '';
    fillTable($('heatmap-members'), doc.windows, members ? members.rows.map((r) => ({ name: named(r.sector), returns: r.returns })) : []);
  }

  // --- line charts: breadth and pair ratios ---
  function drawLines(svg, dates, series, selected, fixedRange) {
    clear(svg);
    const width = 360, height = 260, left = 30, right = 8, top = 10, bottom = 22;
    let low = Infinity, high = -Infinity;
    for (const line of series) for (const v of line.values) if (v !== null) { low = Math.min(low, v); high = Math.max(high, v); }
    if (fixedRange) [low, high] = fixedRange;
    if (!(high > low)) { low -= 1; high += 1; }
    // x by date: older pair ratios are thinned to every fourth week.
    const times = dates.map((d) => Date.parse(d));
    const span = times[times.length - 1] - times[0];
    const toX = (i) => left + (span > 0 ? ((times[i] - times[0]) / span) * (width - left - right) : 0);
    const toY = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);
    for (let k = 0; k <= 4; k++) {
      const v = low + ((high - low) * k) / 4;
      el('line', { x1: left, x2: width - right, y1: toY(v), y2: toY(v), class: 'grid' }, svg);
      text(svg, left - 3, toY(v) + 3, v.toFixed(0), { class: 'tick', 'text-anchor': 'end' });
    }
    [0, Math.floor((dates.length - 1) / 2), dates.length - 1].forEach((i, n) => {
      if (dates[i]) text(svg, toX(i), height - 6, dates[i], { class: 'tick', 'text-anchor': ['start', 'middle', 'end'][n] });
    });
    const ordered = series.filter((line) => line.key !== selected).concat(series.filter((line) => line.key === selected));
    for (const line of ordered) {
      const parts = [];
      let run = [];
      line.values.forEach((v, i) => {
        if (v === null) { if (run.length) parts.push(run); run = []; } else run.push(`${toX(i).toFixed(1)},${toY(v).toFixed(1)}`);
      });
      if (run.length) parts.push(run);
      const dim = selected && line.key !== selected;
      for (const run2 of parts) {
        el('polyline', { points: run2.join(' '), fill: 'none', stroke: line.color,
          'stroke-width': line.key === selected ? 2.6 : line.width || 1.2,
          'stroke-opacity': dim ? 0.25 : 1, 'stroke-dasharray': line.dash || 'none', 'data-key': line.key }, svg);
      }
    }
  }
  function legend(node, series, selected, pick) {
    clear(node);
    for (const line of series) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = line.name;
      button.style.borderLeftColor = line.color;
      if (line.key === selected) button.classList.add('selected');
      button.addEventListener('click', () => pick(line.key === selected ? null : line.key));
      node.appendChild(button);
    }
  }
  async function showBreadth() {
    const doc = await view('breadth');
    provenance(doc);
    $('breadth-title').textContent = w('breadth_title');
    const block = doc.indexes[0];
    if (!block) { clear($('breadth')); return; }
    const series = block.sectors.map((row, i) => ({ key: row.sector, name: named(row.sector), values: row.shares, color: PALETTE[i % PALETTE.length] }));
    series.push({ key: 'all', name: `${w('all_members')} · ${named(block.index)}`, values: block.all, color: 'var(--text)', width: 2.6 });
    const selected = state.breadthSelected || 'all';
    drawLines($('breadth'), block.weeks, series, selected, [0, 100]);
    legend($('breadth-legend'), series, selected, (key) => { state.breadthSelected = key; showBreadth(); });
  }
  async function showPairs() {
    const doc = await view('pairs');
    provenance(doc);
    $('pairs-title').textContent = w('ratio_title');
    const zoom = $('zoom');
    clear(zoom);
    for (const [label, weeks] of ZOOMS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = label === 'all' ? w('zoom_all') : label;
      button.dataset.weeks = String(weeks);
      if (weeks === state.zoom) button.classList.add('active');
      button.addEventListener('click', () => { state.zoom = weeks; showPairs(); });
      zoom.appendChild(button);
    }
    const start = state.zoom ? Math.max(0, doc.weeks.length - state.zoom) : 0;
    const series = doc.lines.map((line, i) => {
      const values = line.values.slice(start);
      const base = values.find((v) => v !== null);
      return { key: line.name, name: named(line.name), color: PALETTE[i % PALETTE.length],
        values: values.map((v) => (v === null || !base ? null : (100 * v) / base)) };
    });
    drawLines($('pairs'), doc.weeks.slice(start), series, state.pairsSelected);
    legend($('pairs-legend'), series, state.pairsSelected, (key) => { state.pairsSelected = key; showPairs(); });
  }

  // --- the page ---
  function provenance(doc) {
    // A CSV folder's path stays on the operator's machine: readers see "CSV files".
    const sourceKey = doc.source.startsWith('csv:') ? 'csv' : doc.source;
    const sourceName = (state.words.source_names || {})[sourceKey] || doc.source;
    $('provenance').textContent = `${w('close_of')} ${doc.session} · ${w('source')}: ${sourceName}`;
    $('simulated').hidden = !doc.simulated;
    $('simulated').textContent = w('simulated');
  }
  function label() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-Hans' : 'en';
    document.title = w('title');
    $('title').textContent = w('title');
    $('language').textContent = w('other_language');
    for (const button of document.querySelectorAll('#tabs button')) {
      button.textContent = w('tab_' + button.dataset.tab);
      button.classList.toggle('active', button.dataset.tab === state.tab);
    }
    $('legs').options[0].textContent = w('legs_sectors');
    $('legs').options[1].textContent = w('legs_pairs');
    $('play').textContent = state.playing ? w('pause') : w('play');
    $('tail-label').textContent = w('tail');
  }
  async function show(tab) {
    state.tab = TABS.includes(tab) ? tab : 'rrg';
    for (const name of TABS) $('view-' + name).hidden = name !== state.tab;
    label();
    say('loading');
    try {
      await { rrg: showRrg, heatmap: showHeatmap, breadth: showBreadth, pairs: showPairs }[state.tab]();
      $('status').textContent = '';
    } catch (error) {
      say(['refused', 'busy'].includes(error.message) ? error.message : 'failed');
      if (error.message === 'refused') document.body.dataset.state = 'refused';
    }
  }
  async function setLanguage(lang) {
    state.words = await getJson('api/words/' + lang);
    state.lang = lang;
    await show(state.tab);
  }
  function firstLanguage() {
    const asked = query.get('lang') || startLanguage;
    if (asked === 'en' || asked === 'zh') return asked;
    let code = '';
    try { code = JSON.parse(signed.get('user') || '{}').language_code || ''; } catch (_) { code = ''; }
    return (code || navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
  }

  async function start() {
    try { applyTheme(JSON.parse(launch.get('tgWebAppThemeParams') || '{}')); } catch (_) { applyTheme({}); }
    postEvent('web_app_ready');
    postEvent('web_app_expand');
    for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', () => show(button.dataset.tab));
    $('language').addEventListener('click', () => setLanguage(state.lang === 'zh' ? 'en' : 'zh'));
    $('legs').addEventListener('change', () => { stopPlaying(); state.rrgView = $('legs').value; state.selected = null; show('rrg'); });
    $('play').addEventListener('click', play);
    $('week').addEventListener('input', () => { stopPlaying(); state.week = Number($('week').value); drawRrg(); });
    $('tail').addEventListener('change', () => {
      state.tail = Math.max(1, Math.min(26, Math.round(Number($('tail').value) || 1)));
      $('tail').value = String(state.tail);
      drawRrg();
    });
    const wanted = query.get('view') || startView;
    if (wanted === 'rrg-pairs') { state.rrgView = 'rrg-pairs'; $('legs').value = 'rrg-pairs'; }
    const tab = wanted && wanted.startsWith('rrg') ? 'rrg' : wanted;
    try {
      state.words = await getJson('api/words/' + firstLanguage());
      state.lang = state.words.lang;
    } catch (error) {
      $('status').textContent = error.message;
      return;
    }
    label();
    state.auth = await authorize();
    if (!state.auth) {
      say('refused');
      document.body.dataset.state = 'refused';
      return;
    }
    await show(tab);
    if (!document.body.dataset.state) document.body.dataset.state = 'ready';
  }
  document.addEventListener('DOMContentLoaded', start);
})();
