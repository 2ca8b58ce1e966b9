/**
 * A live line chart of one figure over simulated time (uPlot): points are appended as
 * samples arrive and the chart is redrawn at most once per animation frame, so a burst of
 * replayed events after a reconnect costs one redraw.
 */
import uPlot from 'uplot';

/**
 * @example
 * ```ts
 * const r = new LiveChart(document.getElementById('chart-r')!, 'R', '#e6dc1e', [0, 1]);
 * r.push(12, 0.4);
 * ```
 */
export class LiveChart {
  readonly #plot: uPlot;
  readonly #el: HTMLElement;
  readonly #xs: number[] = [];
  readonly #ys: number[] = [];
  #queued = false;

  constructor(el: HTMLElement, label: string, colour: string, yRange?: [number, number]) {
    this.#el = el;
    const width = Math.max(280, el.clientWidth || 400);
    this.#plot = new uPlot(
      {
        width,
        height: 170,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false },
          ...(yRange !== undefined && { y: { range: yRange } }),
        },
        axes: [
          {
            stroke: '#9aa0a6',
            grid: { stroke: '#1f2540' },
            label: 'simulated s',
            labelSize: 14,
            size: 36,
          },
          { stroke: '#9aa0a6', grid: { stroke: '#1f2540' }, size: 50 },
        ],
        series: [{}, { label, stroke: colour, width: 1.5 }],
      },
      [[], []],
      el,
    );
    new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (w !== this.#plot.width) this.#plot.setSize({ width: w, height: 170 });
    }).observe(el);
  }

  /** Points held. */
  get length(): number {
    return this.#xs.length;
  }

  push(x: number, y: number): void {
    this.#xs.push(x);
    this.#ys.push(y);
    this.#redraw();
  }

  clear(): void {
    this.#xs.length = 0;
    this.#ys.length = 0;
    this.#redraw();
  }

  #redraw(): void {
    if (this.#queued) return;
    this.#queued = true;
    requestAnimationFrame(() => {
      this.#queued = false;
      this.#plot.setData([this.#xs, this.#ys]);
      this.#el.dataset.points = String(this.#xs.length); // what the browser tests read
    });
  }
}
