import type { PconvEvent } from '../../../src/protocol/events.js';
import { RUN_STAGES } from './runs-model.js';

export interface ProgressUpdate {
  /** The line under the notification's title: stage and step. */
  readonly message: string;
  /** Percent to add to the bar (VS Code's progress only moves forward); absent when unknown. */
  readonly increment?: number;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The `run` stage a CLI stage belongs to: train-pconv-phase2 -> train-pconv. */
function runStageIndex(stage: string): number {
  return RUN_STAGES.findIndex((s) => stage === s || stage.startsWith(`${s}-`));
}

/**
 * Turns the CLI's stage and progress events into what a progress notification shows. For `run`,
 * the bar covers its five stages (each a fifth, filled by its done/total); for a single command the
 * bar follows done/total of whatever runs. It never moves back: a phase that restarts its count
 * waits until it passes the bar.
 */
export class ProgressTracker {
  private shown = 0;
  private ownStage = false;

  constructor(private readonly command: string) {}

  update(event: PconvEvent): ProgressUpdate | undefined {
    if (event.type === 'stage') {
      const message = `${event.stage}: ${event.status}${event.message ? ` (${event.message})` : ''}`;
      const index = this.command === 'run' ? runStageIndex(event.stage) : -1;
      if (index < 0) return { message };
      const at = ((index + (event.status === 'started' ? 0 : 1)) / RUN_STAGES.length) * 100;
      return { message, ...this.advance(at) };
    }
    if (event.type !== 'progress') return undefined;
    const rate = event.ratePerSecond === undefined ? '' : `, ${event.ratePerSecond.toFixed(1)} ${event.unit}/s`;
    const eta = event.etaSeconds === undefined ? '' : `, ${clock(event.etaSeconds)} left`;
    const loss = event.metrics?.loss === undefined ? '' : `, loss ${event.metrics.loss.toFixed(4)}`;
    const message = `${event.stage}: ${event.done}/${event.total} ${event.unit}${rate}${eta}${loss}`;
    const fraction = event.total > 0 ? Math.min(event.done / event.total, 1) : 0;
    if (this.command !== 'run') {
      // A command with an overall count (eval: all pairs) moves the bar by it alone, not by its
      // parts (eval's test-image check, each model's pairs).
      if (event.stage === this.command) this.ownStage = true;
      else if (this.ownStage) return { message };
      return { message, ...this.advance(fraction * 100) };
    }
    const index = runStageIndex(event.stage);
    return { message, ...(index < 0 ? {} : this.advance(((index + fraction) / RUN_STAGES.length) * 100)) };
  }

  private advance(percent: number): { increment?: number } {
    if (percent <= this.shown) return {};
    const increment = percent - this.shown;
    this.shown = percent;
    return { increment };
  }
}
