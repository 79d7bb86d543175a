// The MUD's browser client: the game over a WebSocket, as ../PROTOCOL.md describes it.
// Server text is only ever put in the page with textContent / text nodes, never as HTML.

const $ = (id) => document.getElementById(id);

const MAX_LINES = 5000;          // output scrollback
const MAX_CHANNEL_LINES = 1000;
const MAX_HISTORY = 100;
const MAX_MAP_ROOMS = 5000;      // rooms kept per character map
const RESUME_KEY = 'mud-web-resume';
const SETTINGS_KEY = 'mud-web-settings';
const MAP_KEY = 'mud-web-map:';
const CLIENT = { client: 'mud-web', version: '1' };
const SUPPORTS = ['Char 1', 'Char.Items 1', 'Room 1', 'Comm.Channel 1'];
const COLOURS = new Set(['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white']
  .flatMap((c) => [c, `bright-${c}`]));

const el = {
  output: $('output'), channels: $('channels'), prompt: $('prompt'), input: $('input'),
  form: $('command-line'), live: $('live'), newText: $('new-text'),
  connection: $('connection'), reconnect: $('reconnect'),
  tabGame: $('tab-game'), tabChannels: $('tab-channels'), unread: $('channels-unread'),
  outputPanel: $('output-panel'), channelsPanel: $('channels-panel'),
  panels: $('panels'), panelsToggle: $('panels-toggle'),
  settings: $('settings'), settingsToggle: $('settings-toggle'),
  setFont: $('set-font-size'), setTheme: $('set-theme'), setReader: $('set-screen-reader'),
  character: $('character'), roomName: $('room-name'), roomArea: $('room-area'),
  exits: $('exits'), exitsHome: $('exits-home'), exitsDock: $('exits-dock'),
  map: $('map'), inventory: $('inventory'),
};

// ---------------------------------------------------------------- storage (may be unavailable)

function load(storage, key) {
  try { return storage.getItem(key); } catch { return null; }
}
function save(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key); else storage.setItem(key, value);
  } catch { /* private mode or quota: the client works without it */ }
}
function loadJSON(key) {
  try { return JSON.parse(load(localStorage, key)); } catch { return null; }
}

// ---------------------------------------------------------------- settings

const settings = { fontSize: 'medium', theme: 'dark', screenReader: false };
{
  const stored = loadJSON(SETTINGS_KEY) || {};
  if (['small', 'medium', 'large', 'x-large'].includes(stored.fontSize)) settings.fontSize = stored.fontSize;
  if (['dark', 'light', 'high-contrast'].includes(stored.theme)) settings.theme = stored.theme;
  settings.screenReader = stored.screenReader === true;
}

function applySettings() {
  const root = document.documentElement;
  root.dataset.theme = settings.theme;
  root.dataset.fontSize = settings.fontSize;
  root.classList.toggle('sr', settings.screenReader);
  // role=log is a polite live region already; in screen-reader mode #live speaks new text in
  // batches instead, so the log itself is silenced to avoid hearing everything twice.
  if (settings.screenReader) el.output.setAttribute('aria-live', 'off');
  else el.output.removeAttribute('aria-live');
  renderVitals();
  if (!settings.screenReader) drawMap();
}

function changeSetting(name, value) {
  const readerChanged = name === 'screenReader' && value !== settings.screenReader;
  settings[name] = value;
  save(localStorage, SETTINGS_KEY, JSON.stringify(settings));
  applySettings();
  if (readerChanged || columns() !== sentWidth) sendHello();
}

// ---------------------------------------------------------------- output

let line = null;        // the line being written: {el, runs}; null after a line end
let stick = true;       // the view follows new text (the reader was at the bottom)
let helpListing = false; // inside the 'help' listing, whose "  name  summary" lines get links

function styled(text, colour, style) {
  if (!colour && !style) return document.createTextNode(text);
  const span = document.createElement('span');
  span.textContent = text;
  if (COLOURS.has(colour)) span.classList.add(`fg-${colour}`);
  else if (/^#[0-9a-f]{6}$/i.test(colour)) {
    span.classList.add('rgb');
    span.style.setProperty('--c', colour);
  }
  if (style.includes('b')) span.classList.add('b');
  if (style.includes('u')) span.classList.add('u');
  return span;
}

function runsOf(runs) {
  // [text, colour, style] triples, checked: a bad run is skipped rather than breaking the frame
  if (!Array.isArray(runs)) return [];
  return runs.filter((r) => Array.isArray(r) && typeof r[0] === 'string')
    .map(([text, colour, style]) => ({
      text: text.replace(/\r/g, ''),
      colour: typeof colour === 'string' ? colour : '',
      style: typeof style === 'string' ? style : '',
    }));
}

function commandLink(command) {
  const a = document.createElement('a');
  a.href = '#';
  a.className = 'cmd-link';
  a.dataset.command = command;
  return a;
}

// Where a line's text holds commands to click: [{start, end, command}], sorted, not overlapping.
// final: the line is complete, so it may move the help-listing state on.
function findLinks(text, final) {
  const links = [];
  const add = (start, word, command) => links.push({ start, end: start + word.length, command });

  const exits = /^(\s*\[Exits: )([^\]]*)\]\s*$/.exec(text);
  if (exits) {
    let at = exits[1].length;
    for (const word of exits[2].split(' ')) {
      if (word && word !== 'none' && /^[\w-]+$/.test(word)) add(at, word, word);
      at += word.length + 1;
    }
  }
  // The listing 'help' prints: a "Category:" line, then "  name  summary" lines (a summary's
  // wrapped lines hang further in). Other tables ("  north  The Hall", shop lists) look alike,
  // so only lines under such a heading count.
  const entry = /^ {2}([a-z][\w-]*) {2,}\S/.exec(text);
  if (entry && helpListing) add(2, entry[1], `help ${entry[1]}`);
  if (final) {
    if (/^[A-Z][a-z]+:$/.test(text)) helpListing = true;
    else if (!entry && !/^ {4,}\S/.test(text)) helpListing = false;
  }
  const mentions = /Help that mentions it: ([^.]*)\./.exec(text);
  if (mentions) {
    let at = mentions.index + 'Help that mentions it: '.length;
    for (const name of mentions[1].split(', ')) {
      if (/^[\w-]+$/.test(name)) add(at, name, `help ${name}`);
      at += name.length + 2;
    }
  }
  // 'help', 'help combat' in quotes ('help <command>' is a pattern, not a command)
  for (const m of text.matchAll(/'(help(?: [\w-]+)*)'/g)) add(m.index + 1, m[1], m[1]);

  links.sort((a, b) => a.start - b.start);
  return links.filter((link, i) => i === 0 || link.start >= links[i - 1].end);
}

function renderLine(l, final) {
  const text = l.runs.map((r) => r.text).join('');
  const links = findLinks(text, final);
  const nodes = [];
  let pos = 0;
  let li = 0;
  let anchor = null; // the <a> of links[li] once made (a link may span several runs)
  for (const run of l.runs) {
    const end = pos + run.text.length;
    let i = pos;
    while (i < end) {
      while (li < links.length && links[li].end <= i) { li += 1; anchor = null; }
      const link = links[li];
      const inside = link && i >= link.start;
      const stop = !link ? end : Math.min(end, inside ? link.end : link.start);
      const node = styled(run.text.slice(i - pos, stop - pos), run.colour, run.style);
      if (inside) {
        if (!anchor) { anchor = commandLink(link.command); nodes.push(anchor); }
        anchor.append(node);
      } else nodes.push(node);
      i = stop;
    }
    pos = end;
  }
  l.el.replaceChildren(...nodes);
}

function newLine(className = 'line') {
  const div = document.createElement('div');
  div.className = className;
  el.output.append(div);
  return div;
}

function endLine() {
  if (!line) line = { el: newLine(), runs: [] };
  renderLine(line, true);
  line = null;
}

function appendText(rawRuns) {
  const runs = runsOf(rawRuns);
  for (const run of runs) {
    run.text.split('\n').forEach((part, i) => {
      if (i > 0) endLine();
      if (part) {
        if (!line) line = { el: newLine(), runs: [] };
        line.runs.push({ ...run, text: part });
      }
    });
  }
  if (line) renderLine(line, false);
  announce(runs.map((r) => r.text).join(''));
}

// A line of the client's own (echoed input, connection news): never linkified.
function ownLine(text, className) {
  if (line) endLine(); // an unfinished server line stays above it
  newLine(`line ${className}`).textContent = text;
}

function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 8;
}

function scrollToBottom() {
  el.output.scrollTop = el.output.scrollHeight;
  stick = true;
  el.newText.hidden = true;
}

// After new output: drop the oldest lines, then follow the text or offer to jump to it.
function settleOutput() {
  const extra = el.output.childElementCount - MAX_LINES;
  if (extra > 0) {
    const before = el.output.scrollHeight;
    for (let i = 0; i < extra; i += 1) el.output.firstElementChild.remove();
    // keep what the reader looks at in place (overflow-anchor is off: Safari lacks it)
    if (!stick) el.output.scrollTop -= before - el.output.scrollHeight;
  }
  if (stick) scrollToBottom();
  else el.newText.hidden = false;
}

el.output.addEventListener('scroll', () => {
  if (el.outputPanel.hidden) return; // hidden, it has no size: it is not "at the bottom"
  stick = atBottom(el.output);
  if (stick) el.newText.hidden = true;
});
// The keyboard opening on a phone shrinks the output: stay at the bottom if we were there.
new ResizeObserver(() => { if (stick) el.output.scrollTop = el.output.scrollHeight; }).observe(el.output);
el.newText.addEventListener('click', () => { scrollToBottom(); focusInput(); });

// ---------------------------------------------------------------- screen-reader live region

let livePending = [];
let liveTimer = 0;

function announce(text) {
  if (!settings.screenReader || !text.trim()) return;
  livePending.push(text.trim());
  // a burst of messages is read as one piece rather than interrupting itself
  if (!liveTimer) liveTimer = setTimeout(flushLive, 300);
}

function flushLive() {
  liveTimer = 0;
  const p = document.createElement('p');
  p.textContent = livePending.join('\n');
  livePending = [];
  el.live.append(p);
  while (el.live.childElementCount > 3) el.live.firstElementChild.remove();
}

// ---------------------------------------------------------------- prompt

let lastPrompt = '';

function showPrompt(rawRuns) {
  const runs = runsOf(rawRuns);
  el.prompt.replaceChildren(...runs.map((r) => styled(r.text, r.colour, r.style)));
  const text = runs.map((r) => r.text).join('');
  // read only a prompt that changed ("Username:", "Password:", hit points): not every turn's
  if (text !== lastPrompt) announce(text);
  lastPrompt = text;
}

// ---------------------------------------------------------------- input line

const history = [];
let historyAt = 0;      // index into history while browsing it; history.length = the draft
let draft = '';
let passwordMode = false;
let lastPointer = 'mouse';

const DIRECTIONS = ['north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west',
  'northwest', 'up', 'down'];
const ABBREVIATIONS = { n: 'north', ne: 'northeast', e: 'east', se: 'southeast', s: 'south',
  sw: 'southwest', w: 'west', nw: 'northwest', u: 'up', d: 'down' };

function setPasswordMode(on) {
  passwordMode = on;
  el.input.type = on ? 'password' : 'text';
  el.input.placeholder = on ? 'Password' : '';
  el.input.autocomplete = on ? 'current-password' : 'off';
}

function focusInput() {
  if (lastPointer === 'touch') return; // do not pop the phone's keyboard up uninvited
  if (!el.settings.open) el.input.focus({ preventScroll: true });
}

// Send a line as if typed: shown in the output (not a password), remembered for the map.
function sendLine(text, { fromInput = false } = {}) {
  if (!isOpen()) {
    ownLine('You are not connected.', 'system');
    settleOutput();
    return false;
  }
  send(['input', text]);
  if (!passwordMode) {
    ownLine(text, 'echo');
    const word = text.trim().toLowerCase();
    movingTo = ABBREVIATIONS[word] || (DIRECTIONS.includes(word) ? word : null);
    if (fromInput && text.trim() && history[history.length - 1] !== text) {
      history.push(text);
      if (history.length > MAX_HISTORY) history.shift();
    }
  }
  scrollToBottom(); // having typed, the player wants to see the answer
  settleOutput();
  return true;
}

el.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (sendLine(el.input.value, { fromInput: true })) {
    el.input.value = '';
    historyAt = history.length;
    draft = '';
  }
});

el.input.addEventListener('keydown', (event) => {
  if (event.key === 'PageUp' || event.key === 'PageDown') {
    event.preventDefault();
    const page = el.output.clientHeight * 0.9;
    el.output.scrollBy(0, event.key === 'PageUp' ? -page : page);
    return;
  }
  if (passwordMode || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === 'ArrowUp' && historyAt > 0) {
    if (historyAt === history.length) draft = el.input.value;
    historyAt -= 1;
  } else if (event.key === 'ArrowDown' && historyAt < history.length) {
    historyAt += 1;
  } else return;
  event.preventDefault();
  el.input.value = historyAt === history.length ? draft : history[historyAt];
  const end = el.input.value.length;
  el.input.setSelectionRange(end, end);
});

for (const box of [el.output, el.channels]) {
  box.addEventListener('click', (event) => {
    const link = event.target.closest('a.cmd-link');
    if (!link) return;
    event.preventDefault();
    if (!passwordMode) sendLine(link.dataset.command);
    focusInput();
  });
}
// A click on text (that selects nothing) or on empty space leaves the focus on the input line.
document.addEventListener('click', (event) => {
  if (event.target.closest('a, button, input, select, textarea, label, dialog')) return;
  if (window.getSelection().isCollapsed) focusInput();
});
document.addEventListener('pointerdown', (event) => { lastPointer = event.pointerType; }, true);
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== 'Escape') lastPointer = 'keyboard';
  // typing while the output (or nothing) has focus goes to the input line
  const t = event.target;
  const away = t === document.body || t === el.output || t === el.channels;
  if (away && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
    el.input.focus({ preventScroll: true });
  }
});

// ---------------------------------------------------------------- tabs

let unread = 0;

let outputScroll = 0; // a hidden element forgets its scroll position: kept here meanwhile

function selectTab(tab) {
  const channels = tab === el.tabChannels;
  if (channels && !el.outputPanel.hidden) outputScroll = el.output.scrollTop;
  for (const t of [el.tabGame, el.tabChannels]) {
    t.setAttribute('aria-selected', String(t === tab));
    t.tabIndex = t === tab ? 0 : -1;
  }
  el.outputPanel.hidden = channels;
  el.channelsPanel.hidden = !channels;
  if (channels) {
    setUnread(0);
    el.channels.scrollTop = el.channels.scrollHeight;
  } else if (stick) scrollToBottom();
  else el.output.scrollTop = outputScroll;
}

function setUnread(n) {
  unread = n;
  el.unread.hidden = n === 0;
  el.unread.textContent = n ? ` ${n}` : '';
  el.tabChannels.setAttribute('aria-label', n ? `Channels, ${n} unread` : 'Channels');
}

for (const tab of [el.tabGame, el.tabChannels]) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) return;
    event.preventDefault();
    const other = tab === el.tabGame ? el.tabChannels : el.tabGame;
    const to = event.key === 'Home' ? el.tabGame : event.key === 'End' ? el.tabChannels : other;
    selectTab(to);
    to.focus();
  });
}

function channelText(data) {
  if (!data || typeof data.text !== 'string') return;
  const box = el.channels;
  const follow = el.channelsPanel.hidden || atBottom(box);
  const div = document.createElement('div');
  div.className = 'line';
  div.textContent = data.text;
  box.append(div);
  while (box.childElementCount > MAX_CHANNEL_LINES) box.firstElementChild.remove();
  if (follow) box.scrollTop = box.scrollHeight;
  if (el.channelsPanel.hidden) setUnread(unread + 1);
}

// ---------------------------------------------------------------- vitals, character, room

const vitals = {};
const BARS = [['hp', 'Health'], ['mp', 'Mana'], ['sp', 'Stamina']];

function renderVitals() {
  for (const [key, label] of BARS) {
    const bar = $(`${key}-bar`);
    const now = Number(vitals[key]);
    const max = Number(vitals[`max${key}`]);
    if (!Number.isFinite(now) || !Number.isFinite(max)) continue;
    bar.setAttribute('aria-valuenow', String(now));
    bar.setAttribute('aria-valuemax', String(max));
    bar.setAttribute('aria-valuetext', `${now} of ${max}`);
    const fraction = max > 0 ? Math.min(1, Math.max(0, now / max)) : 0;
    bar.querySelector('.bar-fill').style.width = `${(fraction * 100).toFixed(1)}%`;
    bar.querySelector('.bar-text').textContent =
      settings.screenReader ? `${label} ${now} of ${max}` : `${key} ${now}/${max}`;
  }
}

let characterName = '';

function setCharacter(data) {
  if (!data || typeof data !== 'object') return;
  if (typeof data.name === 'string' && data.name) {
    el.character.querySelector('.char-name').textContent = data.name;
    if (data.name !== characterName) {
      characterName = data.name;
      loadMap();
    }
  }
  if (data.rank !== undefined) el.character.querySelector('.char-rank').textContent = String(data.rank);
}

function directionOrder(a, b) {
  const ia = DIRECTIONS.indexOf(a);
  const ib = DIRECTIONS.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

let lastRoom = null; // the last Room.Info, to place again once the character's map is loaded

function roomInfo(data) {
  if (!data || typeof data !== 'object') return;
  lastRoom = data;
  el.roomName.textContent = String(data.name ?? '');
  el.roomArea.textContent = String(data.area ?? '');
  const exits = data.exits && typeof data.exits === 'object' ? Object.keys(data.exits) : [];
  el.exits.replaceChildren(...exits.sort(directionOrder).map((way) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.exit = way;
    button.textContent = way;
    return button;
  }));
  placeRoom(data);
}

el.exits.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-exit]');
  if (!button) return;
  if (!passwordMode) sendLine(button.dataset.exit);
  focusInput();
});

// ---------------------------------------------------------------- inventory

let items = new Map(); // id -> item

function inventory(kind, data) {
  if (!data || typeof data !== 'object' || (data.location && data.location !== 'inv')) return;
  if (kind === 'inv') {
    items = new Map();
    for (const item of Array.isArray(data.items) ? data.items : []) {
      if (item && item.id !== undefined) items.set(String(item.id), item);
    }
  } else if (data.item && data.item.id !== undefined) {
    if (kind === 'add') items.set(String(data.item.id), data.item);
    else items.delete(String(data.item.id));
  }
  el.inventory.replaceChildren(...[...items.values()].map((item) => {
    const li = document.createElement('li');
    const name = String(item.name ?? '');
    li.textContent = name;
    const quantity = Number(item.quantity);
    // the server's names already say "(x3)"; add the count only when the name lacks it
    if (quantity > 1 && !name.includes(`(x${quantity})`)) {
      const qty = document.createElement('span');
      qty.className = 'qty';
      qty.textContent = ` (x${quantity})`;
      li.append(qty);
    }
    return li;
  }));
}

// ---------------------------------------------------------------- map

// Grid steps; up and down change the level, drawn as a small diagonal shift and markers.
const STEP = {
  north: [0, -1, 0], south: [0, 1, 0], east: [1, 0, 0], west: [-1, 0, 0],
  northeast: [1, -1, 0], northwest: [-1, -1, 0], southeast: [1, 1, 0], southwest: [-1, 1, 0],
  up: [0, 0, 1], down: [0, 0, -1],
};
const OPPOSITE = {
  north: 'south', south: 'north', east: 'west', west: 'east', northeast: 'southwest',
  southwest: 'northeast', northwest: 'southeast', southeast: 'northwest', up: 'down', down: 'up',
};
const CELL = 44;     // px between neighbouring rooms
const LEVEL = 14;    // px shift per level up
const SVG_NS = 'http://www.w3.org/2000/svg';

let map = { rooms: {}, current: null }; // rooms: num -> {x, y, z, name, exits: {way: num}}
let taken = new Map();                    // "x,y,z" -> num
let movingTo = null;                      // the direction last typed, a hint for the next room
let mapSaveTimer = 0;

const spot = (x, y, z) => `${x},${y},${z}`;

function freeSpot(base, step) {
  const [x, y, z] = [base.x + step[0], base.y + step[1], base.z + step[2]];
  if (!taken.has(spot(x, y, z))) return { x, y, z };
  // taken by another room: the nearest free place around it, on the same level
  for (let r = 1; r < 50; r += 1) {
    const ring = [];
    for (let dy = -r; dy <= r; dy += 1) {
      for (let dx = -r; dx <= r; dx += 1) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) === r) ring.push([dx, dy]);
      }
    }
    ring.sort((a, b) => (a[0] ** 2 + a[1] ** 2) - (b[0] ** 2 + b[1] ** 2));
    for (const [dx, dy] of ring) {
      if (!taken.has(spot(x + dx, y + dy, z))) return { x: x + dx, y: y + dy, z };
    }
  }
  return { x, y, z: z + 100 }; // a crowded map: out of the way
}

// Where a room seen for the first time goes: next to the room it was reached from, by the
// exit that leads to it (or the direction typed), else next to any mapped neighbour.
function position(num, exits) {
  const rooms = map.rooms;
  const from = rooms[map.current];
  if (from) {
    for (const [way, to] of Object.entries(from.exits)) if (to === num && STEP[way]) return freeSpot(from, STEP[way]);
    for (const [way, to] of Object.entries(exits)) {
      if (to === map.current && STEP[OPPOSITE[way]]) return freeSpot(from, STEP[OPPOSITE[way]]);
    }
    if (movingTo) return freeSpot(from, STEP[movingTo]);
  }
  for (const [way, to] of Object.entries(exits)) {
    if (rooms[to] && STEP[OPPOSITE[way]]) return freeSpot(rooms[to], STEP[OPPOSITE[way]]);
  }
  for (const room of Object.values(rooms)) {
    for (const [way, to] of Object.entries(room.exits)) if (to === num && STEP[way]) return freeSpot(room, STEP[way]);
  }
  // no known way between them (a portal, a recall): near the last room, a gap apart
  return from ? freeSpot(from, [2, 0, 0]) : freeSpot({ x: 0, y: 0, z: 0 }, [0, 0, 0]);
}

function placeRoom(info) {
  const num = String(info.num ?? '');
  if (!num) return;
  const exits = {};
  if (info.exits && typeof info.exits === 'object') {
    for (const [way, to] of Object.entries(info.exits)) exits[way] = String(to);
  }
  let room = map.rooms[num];
  if (!room) {
    if (Object.keys(map.rooms).length >= MAX_MAP_ROOMS) resetMap();
    room = { ...position(num, exits) };
    map.rooms[num] = room;
    taken.set(spot(room.x, room.y, room.z), num);
  }
  room.name = String(info.name ?? '');
  room.exits = exits;
  map.current = num;
  movingTo = null;
  saveMapSoon();
  drawMap();
}

function resetMap() {
  map = { rooms: {}, current: null };
  taken = new Map();
}

function loadMap() {
  const stored = characterName && loadJSON(MAP_KEY + characterName);
  if (stored && stored.rooms && typeof stored.rooms === 'object') {
    resetMap();
    for (const [num, r] of Object.entries(stored.rooms)) {
      if (!r || ![r.x, r.y, r.z].every(Number.isInteger) || taken.has(spot(r.x, r.y, r.z))) continue;
      const exits = r.exits && typeof r.exits === 'object' ? r.exits : {};
      map.rooms[num] = { x: r.x, y: r.y, z: r.z, name: String(r.name ?? ''), exits };
      taken.set(spot(r.x, r.y, r.z), num);
    }
    map.current = map.rooms[stored.current] ? String(stored.current) : null;
  } // else: the rooms seen so far become this character's map
  if (lastRoom) placeRoom(lastRoom); else drawMap();
}

function saveMapSoon() {
  if (!characterName || mapSaveTimer) return;
  mapSaveTimer = setTimeout(saveMap, 1000);
}

function saveMap() {
  clearTimeout(mapSaveTimer);
  mapSaveTimer = 0;
  if (characterName) save(localStorage, MAP_KEY + characterName, JSON.stringify(map));
}
window.addEventListener('pagehide', saveMap);

function svg(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

const screenX = (r) => r.x * CELL + r.z * LEVEL;
const screenY = (r) => r.y * CELL - r.z * LEVEL;

function drawMap() {
  const box = el.map;
  const here = map.rooms[map.current];
  if (!here || settings.screenReader) {
    if (!here) box.replaceChildren();
    return;
  }
  const cx = screenX(here);
  const cy = screenY(here);
  const width = box.clientWidth || 280;
  const height = box.clientHeight || 190;
  box.setAttribute('viewBox', `${cx - width / 2} ${cy - height / 2} ${width} ${height}`);
  box.setAttribute('aria-label', `Map: ${Object.keys(map.rooms).length} rooms visited, you are in ${here.name}`);

  // only what can be on screen (plus a margin): a big map stays quick to draw
  const reach = Math.max(width, height) / CELL + 2;
  const near = Object.entries(map.rooms).filter(([, r]) =>
    Math.abs(r.x - here.x) <= reach && Math.abs(r.y - here.y) <= reach);
  const edges = svg('g', { class: 'edges' });
  const nodes = svg('g', { class: 'rooms' });
  const drawn = new Set();
  for (const [num, r] of near) {
    const [x, y] = [screenX(r), screenY(r)];
    for (const [way, to] of Object.entries(r.exits)) {
      const other = map.rooms[to];
      if (other) {
        const pair = num < to ? `${num}-${to}` : `${to}-${num}`;
        if (drawn.has(pair) || to === num) continue;
        drawn.add(pair);
        const level = r.z === here.z && other.z === here.z ? '' : ' other-level';
        edges.append(svg('line', { class: `edge${level}`, x1: x, y1: y, x2: screenX(other), y2: screenY(other) }));
      } else if (STEP[way] && STEP[way][2] === 0) { // a way not taken yet: a short stub
        const [dx, dy] = STEP[way];
        const level = r.z === here.z ? '' : ' other-level';
        edges.append(svg('line', { class: `stub${level}`, x1: x, y1: y, x2: x + dx * CELL * 0.45, y2: y + dy * CELL * 0.45 }));
      }
    }
    const g = svg('g', { class: 'room', 'data-room': num });
    if (num === map.current) g.classList.add('here');
    if (r.z !== here.z) g.classList.add('other-level');
    const title = svg('title', {});
    title.textContent = r.name;
    g.append(title, svg('rect', { x: x - 10, y: y - 10, width: 20, height: 20, rx: 4 }));
    if (r.exits.up) g.append(svg('path', { class: 'marker', d: `M${x + 1} ${y - 2}l4 -6l4 6z` }));
    if (r.exits.down) g.append(svg('path', { class: 'marker', d: `M${x + 1} ${y + 2}l4 6l4 -6z` }));
    nodes.append(g);
  }
  // the current room last, so it is drawn on top of any neighbour overlapping it
  const mine = nodes.querySelector('.here');
  if (mine) nodes.append(mine);
  box.replaceChildren(edges, nodes);
}

new ResizeObserver(() => drawMap()).observe(el.map);

// ---------------------------------------------------------------- connection

const WS_URL = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`
  + `${location.pathname.replace(/[^/]*$/, '')}ws`;
const STAY_CLOSED = new Set([1000, 1008, 1009]);
const STATES = {
  connecting: 'connecting…', open: 'connected', reconnecting: 'reconnecting…', closed: 'disconnected',
};

let socket = null;
let attempts = 0;        // failed tries since the last good connection: sets the backoff
let retryTimer = 0;
let openedAt = 0;
let announceReturn = false; // say "Reconnected." when the next connection opens

const isOpen = () => socket !== null && socket.readyState === WebSocket.OPEN;

function send(message) {
  if (isOpen()) socket.send(JSON.stringify(message));
}

// How many characters a line of the output shows. The server wraps text to it (as telnet's
// NAWS), so continuation lines hang under a speaker's name instead of the browser's ragged
// breaks; a later hello tells it again when the window or the font size changes.
let sentWidth = null;
function columns() {
  const probe = document.createElement('span');
  probe.className = 'measure';
  probe.setAttribute('aria-hidden', 'true');
  probe.textContent = '0'.repeat(100);
  el.output.append(probe);
  const charWidth = probe.getBoundingClientRect().width / 100;
  probe.remove();
  const style = getComputedStyle(el.output);
  const out = el.output;
  // text soon fills the output and a scrollbar appears: leave its room from the start
  const scrollbar = out.scrollHeight > out.clientHeight ? 0 : scrollbarWidth();
  const inner = out.clientWidth - scrollbar - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight);
  return charWidth > 0 && inner > 0 ? Math.max(20, Math.floor(inner / charWidth)) : null;
}

let scrollbarSize = null;
function scrollbarWidth() {
  if (scrollbarSize === null) {
    const probe = document.createElement('div');
    probe.className = 'measure-scrollbar';
    document.body.append(probe);
    scrollbarSize = probe.offsetWidth - probe.clientWidth;
    probe.remove();
  }
  return scrollbarSize;
}

function sendHello(first = false) {
  // a later hello changes screen_reader and width: the server ignores its resume
  const resume = first ? load(sessionStorage, RESUME_KEY) : null;
  sentWidth = columns();
  send(['hello', { ...CLIENT, screen_reader: settings.screenReader, width: sentWidth,
                   resume: resume || null }]);
}

let resizeTimer = 0;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (isOpen() && columns() !== sentWidth) sendHello();
  }, 250);
}).observe(el.output);

function setState(state) {
  el.connection.dataset.state = state;
  el.connection.textContent = STATES[state];
  el.reconnect.hidden = state !== 'closed';
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  if (socket) return;
  // the first connection (or one asked for by hand) connects; a retry reconnects
  setState(announceReturn && attempts > 0 ? 'reconnecting' : 'connecting');
  let ws;
  try {
    ws = new WebSocket(WS_URL);
  } catch {
    retry();
    return;
  }
  socket = ws;
  ws.addEventListener('open', () => {
    openedAt = Date.now();
    setState('open');
    if (announceReturn) {
      ownLine('Reconnected.', 'system');
      settleOutput();
      announce('Reconnected.');
    }
    announceReturn = false;
    sendHello(true);
    send(['gmcp', 'Core.Hello', CLIENT]);
    send(['gmcp', 'Core.Supports.Set', SUPPORTS]);
  });
  ws.addEventListener('message', (event) => receive(event.data));
  ws.addEventListener('close', (event) => {
    if (socket !== ws) return;
    socket = null;
    closed(event.code, openedAt > 0);
    openedAt = 0;
  });
}

function closed(code, wasOpen) {
  setPasswordMode(false);
  let news;
  if (STAY_CLOSED.has(code)) {
    save(sessionStorage, RESUME_KEY, null);
    setState('closed');
    news = code === 1000 ? 'Disconnected.' : 'The server closed the connection.';
  } else {
    // a connection that lasted a while starts the backoff over; one that drops at once does not
    if (wasOpen && Date.now() - openedAt > 10000) attempts = 0;
    if (wasOpen || !announceReturn) news = wasOpen ? 'Connection lost. Reconnecting…' : 'Cannot reach the server. Retrying…';
    retry();
  }
  announceReturn = true;
  if (news) {
    ownLine(news, 'system');
    settleOutput();
    announce(news);
  }
}

function retry() {
  const delay = Math.min(10000, 500 * 2 ** attempts);
  attempts += 1;
  setState('reconnecting');
  retryTimer = setTimeout(connect, delay);
}

el.reconnect.addEventListener('click', () => {
  attempts = 0;
  connect();
  focusInput();
});
// back online: do not wait out the backoff
window.addEventListener('online', () => { if (retryTimer) connect(); });

function receive(data) {
  if (typeof data !== 'string') return;
  let messages;
  try { messages = JSON.parse(data); } catch { return; }
  if (!Array.isArray(messages)) return;
  for (const message of messages) {
    if (!Array.isArray(message)) continue;
    try {
      handle(message);
    } catch (error) {
      console.warn('mud-web: message not understood', message, error);
    }
  }
  settleOutput();
}

function handle([kind, a, b]) {
  switch (kind) {
    case 'text': appendText(a); break;
    case 'prompt': showPrompt(a); break;
    case 'echo': setPasswordMode(a === false); break;
    case 'resume': save(sessionStorage, RESUME_KEY, typeof a === 'string' && a ? a : null); break;
    case 'gmcp': gmcp(String(a), b); break;
    default: break;
  }
}

function gmcp(pkg, data) {
  switch (pkg.toLowerCase()) {
    case 'char.name':
    case 'char.status': setCharacter(data); break;
    case 'char.vitals':
      if (data && typeof data === 'object') { Object.assign(vitals, data); renderVitals(); }
      break;
    case 'char.items.inv': inventory('inv', data); break;
    case 'char.items.add': inventory('add', data); break;
    case 'char.items.remove': inventory('remove', data); break;
    case 'room.info': roomInfo(data); break;
    case 'comm.channel.text': channelText(data); break;
    default: break;
  }
}

// ---------------------------------------------------------------- layout, panels, settings

// On a phone the exits leave the panel drawer for a row of big buttons above the input.
const phone = window.matchMedia('(max-width: 600px)');
function placeExits() {
  (phone.matches ? el.exitsDock : el.exitsHome).append(el.exits);
  if (stick) el.output.scrollTop = el.output.scrollHeight;
}
phone.addEventListener('change', placeExits);

// The visual viewport is what the on-screen keyboard leaves visible (dvh alone misses it on iOS).
if (window.visualViewport) {
  const fit = () => document.documentElement.style.setProperty('--app-height', `${window.visualViewport.height}px`);
  window.visualViewport.addEventListener('resize', fit);
  fit();
}

el.panelsToggle.addEventListener('click', () => {
  const open = el.panels.classList.toggle('open');
  el.panelsToggle.setAttribute('aria-expanded', String(open));
  if (open) drawMap();
});

el.settingsToggle.addEventListener('click', () => {
  el.setFont.value = settings.fontSize;
  el.setTheme.value = settings.theme;
  el.setReader.checked = settings.screenReader;
  el.settings.showModal();
});
el.setFont.addEventListener('change', () => changeSetting('fontSize', el.setFont.value));
el.setTheme.addEventListener('change', () => changeSetting('theme', el.setTheme.value));
el.setReader.addEventListener('change', () => changeSetting('screenReader', el.setReader.checked));
el.settings.addEventListener('close', () => {
  if (stick) scrollToBottom();
});

applySettings();
placeExits();
connect();
el.input.focus();
