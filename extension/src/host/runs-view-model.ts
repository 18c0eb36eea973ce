import { headlineText, RUN_STAGES, type RunInfo, type RunStage, type RunStatus, TRAINING_STAGES } from './runs-model.js';

/** One row of the Runs view, without vscode types: label, description, codicon, tooltip lines. */
export interface RowSpec {
  readonly label: string;
  readonly description: string;
  readonly icon: string;
  readonly tooltip: string;
}

const STATUS_ICON: Record<RunStatus, string> = {
  running: 'sync~spin',
  finished: 'pass',
  partial: 'milestone',
  failed: 'error',
  interrupted: 'debug-pause',
};

/** Whether Resume Run may continue it: its config is known, no process holds it, and stages remain (partial, failed, interrupted). */
export function isResumable(run: RunInfo): boolean {
  return run.configFile !== undefined && run.status !== 'running' && run.status !== 'finished';
}

/**
 * The run's row: its state in a few words ("masks done", "failed: MASKS_MISSING", "interrupted in
 * train-pconv", "running"), then the stage count (or the live step of our own process, or the
 * headline PSNR once finished). The tooltip says why: the failure's message, the process, the folder.
 */
export function runRow(run: RunInfo, live?: string): RowSpec {
  const done = run.stages.filter((s) => s.done).length;
  const progress = live ?? (run.status === 'finished' ? headlineText(run.headline) : `${done}/${RUN_STAGES.length} stages`);
  const tooltip = [
    `${run.label}: ${run.state}`,
    run.detail,
    ...(run.nextStage && run.status !== 'running' ? [`next: ${run.nextStage}`] : []),
    run.dir,
    ...(run.configFile ? [`config: ${run.configFile}`] : []),
    ...(run.headline.length ? [headlineText(run.headline)] : []),
    ...run.problems,
  ];
  return { label: run.label, description: `${run.state} \u00b7 ${progress}`, icon: STATUS_ICON[run.status], tooltip: tooltip.join('\n') };
}

/** What a stage's row says: done, where the process is (or failed, or stopped), next, to do. */
function stageState(run: RunInfo, stage: RunStage, done: boolean): { state: string; icon: string } {
  if (done) return { state: 'done', icon: 'check' };
  if (run.activeStage === stage) {
    if (run.status === 'running') return { state: 'running', icon: 'loading~spin' };
    if (run.status === 'failed') return { state: 'failed', icon: 'error' };
    if (run.status === 'interrupted') return { state: 'stopped', icon: 'debug-pause' };
  }
  return { state: run.nextStage === stage && run.status !== 'running' ? 'next' : 'to do', icon: 'circle-large-outline' };
}

/** The run's children: one row per stage (training with its step), then the headline metrics per model. */
export function runDetailRows(run: RunInfo): RowSpec[] {
  const stages = run.stages.map(({ stage, done }) => {
    const kind = TRAINING_STAGES[stage];
    const training = kind ? run.training.find((t) => t.kind === kind) : undefined;
    const step = training && !done ? `step ${training.step}${training.totalSteps ? `/${training.totalSteps}` : ''}` : '';
    const { state, icon } = stageState(run, stage, done);
    return {
      label: stage,
      description: [state, step].filter(Boolean).join(', '),
      icon,
      tooltip: `${stage}: ${state}${step ? ` (${step})` : ''}`,
    };
  });
  const metrics = run.headline.map((h) => {
    const parts = [
      h.psnr === null ? null : `PSNR ${h.psnr.toFixed(2)} dB`,
      h.ssim === null ? null : `SSIM ${h.ssim.toFixed(4)}`,
      h.l1Hole === null ? null : `hole L1 ${h.l1Hole.toFixed(2)}`,
    ];
    return {
      label: h.model,
      description: parts.filter(Boolean).join(', '),
      icon: 'graph',
      tooltip: `${h.model} (${h.kind}): means over all ${h.pairs} test pairs`,
    };
  });
  return [...stages, ...metrics];
}

/** The tree item's contextValue: what the context menu offers (package.json matches these words). */
export function runContext(run: RunInfo): string {
  return ['run', run.hasResults ? 'hasReport' : '', isResumable(run) ? 'resumable' : ''].filter(Boolean).join(' ');
}
