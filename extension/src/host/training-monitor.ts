import type { PconvEvent } from '../../../src/protocol/events.js';
import type { TrainingCurves, TrainingLossPoint, TrainingToWebview, TrainingValidationPoint } from '../shared/messages.js';

type Model = TrainingCurves['model'];

/** The stages of training steps: train-pconv-phase1 ... train-conv-phase2. */
const TRAIN_STAGE = /^train-(pconv|conv)-phase([12])$/;

/**
 * The most loss points kept per model: at four a second a day-long training would send ~350,000,
 * more than a chart stays responsive with. Past it every other point is dropped and the spacing
 * between kept steps doubles, so the curve keeps its whole span at a coarser grain.
 */
export const MAX_TRAIN_POINTS = 2000;

export const NO_TRAINING_STATUS = 'No training yet: curves appear here while an experiment trains (PConv Bench: Run Experiment).';

/**
 * The training curves of the last CLI process the extension ran that trained, built from its
 * --json events as they come: the loss of each step the stream reports (progress events of
 * train-<model>-phase<n>; the CLI sends at most one every 250 ms a stage), each validation pass
 * (validation events: loss, PSNR, SSIM, hole L1) and where phase 2 starts. A process that does
 * not train (masks, a run whose models are up to date) leaves the last curves as they are; one
 * that does replaces them at its first training event. It keeps what a panel opened later needs
 * (snapshot) and says what to send to an open one (the messages `update` returns). No vscode
 * here: the host panel posts the messages, the tests read them.
 */
export class TrainingMonitor {
  private title = '';
  private status = NO_TRAINING_STATUS;
  private readonly curves = new Map<
    Model,
    { train: TrainingLossPoint[]; validation: TrainingValidationPoint[]; phaseBoundary: number | null; minSpacing: number }
  >();
  /** The running process: its title, and whether it has trained yet (its events count only from then). */
  private process = { title: '', trained: false };

  /** A new CLI process started; its curves replace the last ones once it trains. */
  start(title: string): void {
    this.process = { title, trained: false };
  }

  /** Everything so far, as one message. */
  snapshot(): TrainingToWebview {
    return {
      type: 'snapshot',
      title: this.title,
      status: this.status,
      models: [...this.curves].map(([model, c]) => ({ model, train: [...c.train], validation: [...c.validation], phaseBoundary: c.phaseBoundary })),
    };
  }

  /** Whether the running process has trained (sent a training step or validation) so far. */
  get training(): boolean {
    return this.process.trained;
  }

  /**
   * Takes one event of the running process. Returns the messages for an open panel, and whether this
   * was the process's first training event (when the host offers the panel): then the one message
   * is a snapshot of the new curves.
   */
  update(event: PconvEvent): { messages: TrainingToWebview[]; firstTraining: boolean } {
    const trains = (event.type === 'progress' && TRAIN_STAGE.test(event.stage)) || event.type === 'validation';
    if (!this.process.trained) {
      if (!trains) return { messages: [], firstTraining: false };
      this.process.trained = true;
      this.title = this.process.title;
      this.status = 'training';
      this.curves.clear();
      this.messagesOf(event);
      return { messages: [this.snapshot()], firstTraining: true };
    }
    return { messages: this.messagesOf(event), firstTraining: false };
  }

  private messagesOf(event: PconvEvent): TrainingToWebview[] {
    switch (event.type) {
      case 'progress': {
        const stage = TRAIN_STAGE.exec(event.stage);
        if (!stage) return [];
        const model = stage[1] as Model;
        const phase = Number(stage[2]);
        const curve = this.curveOf(model);
        const reported = event.metrics?.step;
        // The global step: the CLI gives it; an older one gave only the step within the phase.
        if (phase === 2 && reported !== undefined && event.done > 0) curve.phaseBoundary = reported - event.done;
        const step = reported ?? (phase === 1 ? event.done : curve.phaseBoundary === null ? undefined : curve.phaseBoundary + event.done);
        const loss = event.metrics?.loss;
        const train: TrainingLossPoint[] = [];
        if (step !== undefined && step >= 1 && loss !== undefined && Number.isFinite(loss) && step >= (curve.train.at(-1)?.step ?? 0) + curve.minSpacing) {
          train.push({ step, loss });
          curve.train.push(train[0] as TrainingLossPoint);
        }
        this.status = `${event.stage}: ${event.done}/${event.total} ${event.unit}${loss === undefined ? '' : `, loss ${loss.toFixed(4)}`}`;
        if (curve.train.length > MAX_TRAIN_POINTS) {
          curve.train = curve.train.filter((_, i) => i % 2 === 0);
          curve.minSpacing *= 2;
          return [this.snapshot(), { type: 'status', status: this.status }];
        }
        return [
          ...(train.length ? [{ type: 'append' as const, model, train, validation: [], phaseBoundary: curve.phaseBoundary }] : []),
          { type: 'status', status: this.status },
        ];
      }
      case 'validation': {
        const curve = this.curveOf(event.model);
        const point: TrainingValidationPoint = {
          step: event.step,
          phase: event.phase,
          loss: event.loss.total,
          psnr: event.quality.psnr,
          ssim: event.quality.ssim,
          l1Hole: event.quality.l1Hole,
        };
        curve.validation.push(point);
        return [{ type: 'append', model: event.model, train: [], validation: [point], phaseBoundary: curve.phaseBoundary }];
      }
      case 'stage': {
        this.status = `${event.stage}: ${event.status}${event.message ? ` (${event.message})` : ''}`;
        return [{ type: 'status', status: this.status }];
      }
      case 'error':
        this.status = `failed: ${event.message}`;
        return [{ type: 'status', status: this.status }];
      case 'end':
        this.status =
          event.exitCode === 0
            ? `finished in ${Math.round(event.durationSeconds)} s`
            : `ended with exit code ${event.exitCode}${this.status.startsWith('failed') ? ` (${this.status})` : ''}`;
        return [{ type: 'status', status: this.status }];
      default:
        return [];
    }
  }

  private curveOf(model: Model) {
    let curve = this.curves.get(model);
    if (!curve) {
      curve = { train: [], validation: [], phaseBoundary: null, minSpacing: 1 };
      this.curves.set(model, curve);
    }
    return curve;
  }
}
