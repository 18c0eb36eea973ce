import type { CoreEvent, PconvEvent } from '../protocol/events.js';

type Stamped<E> = E extends PconvEvent ? Omit<E, 'v' | 'time'> : never;

/**
 * Where a command's output goes. With --json, stdout carries only newline-delimited events
 * (PconvEventSchema); without it, stdout carries the command's result for people and pipes.
 * Logs and progress always go to stderr, so they never mix with data.
 */
export class Output {
  readonly json: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private progressLine = '';
  /** When each stage last printed (human) and was last sent (--json): stages that advance together (eval's models) each get a line. */
  private lastProgress = new Map<string, number>();
  private lastJsonProgress = new Map<string, number>();
  private stageStart = new Map<string, { time: number; done: number }>();

  private readonly now: () => number;

  constructor(options: { json: boolean; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream; now?: () => number }) {
    this.json = options.json;
    this.now = options.now ?? Date.now;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** Emits a protocol event (JSON mode) and its human form on stderr. */
  event(event: Stamped<PconvEvent>): void {
    if (event.type === 'progress') {
      this.progress(event);
      return;
    }
    if (this.json) this.writeJson(event);
    this.human(event);
  }

  /** The core's events, as the CLI shows them. */
  readonly onCoreEvent = (event: CoreEvent): void => this.event(event);

  /** The command's result for people (human mode only; JSON mode sends a result event instead). */
  print(text: string): void {
    if (!this.json) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A line of information on stderr. */
  info(message: string): void {
    this.event({ type: 'log', level: 'info', message });
  }

  warn(message: string): void {
    this.event({ type: 'log', level: 'warn', message });
  }

  private writeJson(event: Stamped<PconvEvent>): void {
    this.stdout.write(`${JSON.stringify({ v: 1, time: new Date().toISOString(), ...event })}\n`);
  }

  private progress(event: Extract<Stamped<PconvEvent>, { type: 'progress' }>): void {
    const now = this.now();
    const start = this.stageStart.get(event.stage) ?? { time: now, done: event.done };
    if (!this.stageStart.has(event.stage)) this.stageStart.set(event.stage, start);
    const final = event.done >= event.total;
    // Throttle per stage, always the first and the last: --json events (a program reads them) at most
    // every 250 ms; the human line ~10 times a second on a terminal, one every 5 s in logs.
    const due = (last: Map<string, number>, interval: number) => {
      const previous = last.get(event.stage);
      if (!final && previous !== undefined && now - previous < interval) return false;
      last.set(event.stage, now);
      return true;
    };
    const sendJson = this.json && due(this.lastJsonProgress, 250);
    const printHuman = due(this.lastProgress, this.stderr.isTTY ? 100 : 5000);
    if (!sendJson && !printHuman) return;
    const elapsed = (now - start.time) / 1000;
    const rate = elapsed > 0 ? (event.done - start.done) / elapsed : undefined;
    const eta = rate && rate > 0 ? (event.total - event.done) / rate : undefined;
    if (sendJson)
      this.writeJson({ ...event, ...(rate === undefined ? {} : { ratePerSecond: round(rate) }), ...(eta === undefined ? {} : { etaSeconds: round(eta) }) });
    if (!printHuman) return;
    const width = 24;
    const filled = event.total > 0 ? Math.round((width * event.done) / event.total) : width;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const metrics = event.metrics
      ? `  ${Object.entries(event.metrics)
          .filter(([name]) => name !== 'stepsPerSecond' && name !== 'step')
          .map(([name, value]) => `${name} ${formatMetric(value)}`)
          .join(' ')}`
      : '';
    const line = `${event.stage} ${bar} ${event.done}/${event.total} ${event.unit}${rate ? `  ${formatRate(rate)} ${event.unit}/s` : ''}${eta !== undefined && !final ? `  ETA ${formatDuration(eta)}` : ''}${metrics}`;
    if (this.stderr.isTTY) {
      this.stderr.write(`\r${line}${' '.repeat(Math.max(0, this.progressLine.length - line.length))}`);
      this.progressLine = line;
      if (final) this.endProgressLine();
    } else {
      this.stderr.write(`${line}\n`);
    }
  }

  private endProgressLine(): void {
    if (this.progressLine) {
      this.stderr.write('\n');
      this.progressLine = '';
    }
  }

  private human(event: Stamped<PconvEvent>): void {
    const line = humanLine(event);
    if (line === undefined) return;
    this.endProgressLine();
    this.stderr.write(`${line}\n`);
  }
}

function humanLine(event: Stamped<PconvEvent>): string | undefined {
  switch (event.type) {
    case 'stage':
      return `${event.stage}: ${event.status}${event.message ? ` - ${event.message}` : ''}`;
    case 'log':
      return event.level === 'warn' ? `warning: ${event.message}` : event.message;
    case 'validation': {
      const { loss, quality } = event;
      const ssim = quality.ssim === null ? 'SSIM -' : `SSIM ${quality.ssim.toFixed(4)}`;
      const l1Hole = quality.l1Hole === null ? 'hole L1 -' : `hole L1 ${quality.l1Hole.toFixed(3)}`;
      return `${event.model} step ${event.step}: validation loss ${loss.total.toFixed(4)} (hole ${loss.hole.toFixed(4)}, valid ${loss.valid.toFixed(4)}); PSNR ${quality.psnr.toFixed(2)} dB, ${ssim}, ${l1Hole} on ${quality.pairs} pair${quality.pairs === 1 ? '' : 's'}; samples ${event.samples}`;
    }
    case 'error':
      return [`error: ${event.message}`, ...event.details.map((d) => `  ${d}`), ...(event.hint ? [`hint: ${event.hint}`] : [])].join('\n');
    default:
      return undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function formatMetric(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
