/**
 * The observatory page: wires the gateway connection to the grid canvas, the two live charts,
 * the status line, the controls and the events panel. Served by `cascade fireflies --serve`
 * at `/`, built by scripts/build-web.mjs into dist/web/.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { GatewayConnection } from './gateway-connection.js';
import type { GatewayEvent } from './gateway-connection.js';
import { GridView } from './grid-view.js';
import { LiveChart } from './live-chart.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el as T;
};

const connectionEl = $('connection');
const statusEl = $('status');
const ackEl = $('ack');
const eventsEl = $('events');
const viewInfo = $('view-info');
const rChart = new LiveChart($('chart-r'), 'R', '#e6dc1e', [0, 1]);
const fChart = new LiveChart($('chart-flashes'), 'flashes/s', '#6eaa14');

/** What the status line shows. */
const run = {
  agents: 0,
  simT: 0,
  r: 0,
  flashesPerSec: 0,
  speed: 1,
  clock: '?',
  paused: false,
  ended: '',
  lagMs: 0,
  fps: 0,
  connection: 'connecting',
};

function logEvent(text: string, warn = false): void {
  const li = document.createElement('li');
  li.textContent = text;
  if (warn) li.className = 'warn';
  eventsEl.append(li);
  while (eventsEl.children.length > 200) eventsEl.firstElementChild?.remove();
  eventsEl.scrollTop = eventsEl.scrollHeight;
}

function renderStatus(): void {
  statusEl.textContent =
    `agents ${run.agents.toLocaleString('en')} · t ${run.simT.toFixed(1)} s simulated · ` +
    `R ${run.r.toFixed(3)} · ${Math.round(run.flashesPerSec)} flashes/s · ${run.clock} clock x${run.speed}` +
    `${run.paused ? ' · PAUSED' : ''} · ${run.fps.toFixed(0)} fps · lag ${Math.round(run.lagMs)} ms · ` +
    `${run.connection}${run.ended === '' ? '' : ` · ${run.ended}`}`;
}

const gridEl = $<HTMLCanvasElement>('grid');
const grid = new GridView(gridEl, (v) => {
  connection.setView(v);
  viewInfo.textContent = grid.describe();
});

function onEvent(e: GatewayEvent): void {
  const d = e.data;
  switch (e.event) {
    case 'run-started':
      run.agents = Number(d.agents);
      run.speed = Number(d.speed);
      run.clock = String(d.clock);
      run.ended = '';
      $<HTMLInputElement>('speed').value = String(run.speed);
      if (typeof d.limit === 'number') $<HTMLInputElement>('limit').value = String(d.limit);
      logEvent(
        `#${e.seq} run started: ${run.agents} agents (${String(d.width)}x${String(d.height)}), ${run.clock} clock, seed ${String(d.seed)}`,
      );
      break;
    case 'sample':
      run.simT = Number(d.t);
      run.r = Number(d.r);
      run.flashesPerSec = Number(d.flashesPerSec);
      rChart.push(run.simT, run.r);
      fChart.push(run.simT, run.flashesPerSec);
      break;
    case 'command-applied': {
      const cmd = String(d.cmd);
      if (cmd === 'pause') run.paused = true;
      if (cmd === 'resume') run.paused = false;
      const args = d.args as Record<string, unknown> | undefined;
      if (cmd === 'speed' && args !== undefined) run.speed = Number(args.x);
      logEvent(`#${e.seq} applied ${cmd} ${JSON.stringify(args ?? {})}`);
      break;
    }
    case 'run-ended':
      run.ended = `run ended at ${(Number(d.simTimeMs) / 1000).toFixed(1)} s, R ${Number(d.finalR).toFixed(3)}`;
      logEvent(`#${e.seq} ${run.ended}`);
      break;
    case 'run-failed':
      run.ended = `run failed: ${String(d.message)}`;
      logEvent(`#${e.seq} ${run.ended}`, true);
      break;
    default:
      logEvent(`#${e.seq} ${e.event} ${JSON.stringify(d)}`);
  }
  renderStatus();
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const connection = new GatewayConnection(wsUrl, {
  state(state, detail) {
    run.connection = state === 'open' ? 'connected' : state;
    connectionEl.dataset.state = state;
    connectionEl.textContent = state === 'open' ? 'connected' : `${state}… (${detail})`;
    if (state === 'reconnecting') logEvent(`connection lost: ${detail}`, true);
    renderStatus();
  },
  hello(info) {
    grid.setGrid(info.width, info.height);
    viewInfo.textContent = grid.describe();
    for (const id of ['pause', 'resume', 'set-speed', 'set-limit']) {
      const cmd = id.replace('set-', '');
      $<HTMLButtonElement>(id).disabled = !info.commands.includes(cmd);
    }
  },
  frame(cells, header) {
    grid.draw(cells, header.viewport.cols, header.viewport.rows);
    run.lagMs = Math.max(0, Date.now() - header.time);
  },
  event: onEvent,
  gap(from, to) {
    logEvent(`gap: events ${from}..${to} are no longer held by the server`, true);
  },
  epochChanged(from, to) {
    logEvent(`epoch changed: the server restarted (${from} → ${to}); a new run follows`, true);
    rChart.clear();
    fChart.clear();
    run.paused = false;
    renderStatus();
  },
  reply(r) {
    ackEl.dataset.kind = r.kind;
    ackEl.textContent = r.text;
  },
});

// frames per second drawn, once a second
let lastFrames = 0;
setInterval(() => {
  run.fps = grid.frames - lastFrames;
  lastFrames = grid.frames;
  gridEl.dataset.frames = String(grid.frames); // what bench/page.ts reads
  renderStatus();
}, 1000);

const send = (cmd: string, args: Record<string, unknown> = {}): void => {
  const id = connection.command(cmd, args);
  ackEl.dataset.kind = id < 0 ? 'nack' : 'sent';
  ackEl.textContent = id < 0 ? `not connected: ${cmd} not sent` : `sent #${id} ${cmd}…`;
};
$('pause').addEventListener('click', () => send('pause'));
$('resume').addEventListener('click', () => send('resume'));
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  send('speed', { x: Number($<HTMLInputElement>('speed').value) });
});
$('set-limit').addEventListener('click', () =>
  send('limit', { n: Number($<HTMLInputElement>('limit').value) }),
);
$('zoom-in').addEventListener('click', () => grid.zoom(0.8));
$('zoom-out').addEventListener('click', () => grid.zoom(1.25));
$('zoom-reset').addEventListener('click', () => grid.reset());
renderStatus();
