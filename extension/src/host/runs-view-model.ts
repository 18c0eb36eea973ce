import { headlineText, RUN_STAGES, type RunInfo, type RunStatus, TRAINING_STAGES } from './runs-model.js';

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

/** The run's row: status, stage progress (or the live step of our own process), headline PSNR. */
export function runRow(run: RunInfo, live?: string): RowSpec {
  const done = run.stages.filter((s) => s.done).length;
  const progress =
    live ?? (run.status === 'finished' ? headlineText(run.headline) : `${done}/${RUN_STAGES.length} stages${run.nextStage ? `, next ${run.nextStage}` : ''}`);
  const tooltip = [
    `${run.label}: ${run.status} (${run.detail})`,
    run.dir,
    ...(run.configFile ? [`config: ${run.configFile}`] : []),
    ...(run.headline.length ? [headlineText(run.headline)] : []),
    ...run.problems,
  ];
  return { label: run.label, description: `${run.status} \u00b7 ${progress}`, icon: STATUS_ICON[run.status], tooltip: tooltip.join('\n') };
}

/** The run's children: one row per stage (training with its step), then the headline metrics per model. */
export function runDetailRows(run: RunInfo): RowSpec[] {
  const stages = run.stages.map(({ stage, done }) => {
    const kind = TRAINING_STAGES[stage];
    const training = kind ? run.training.find((t) => t.kind === kind) : undefined;
    const step = training && !done ? `step ${training.step}${training.totalSteps ? `/${training.totalSteps}` : ''}` : '';
    const state = done ? 'done' : run.nextStage === stage ? (run.status === 'running' ? 'running' : 'next') : 'to do';
    return {
      label: stage,
      description: [state, step].filter(Boolean).join(', '),
      icon: done ? 'check' : run.nextStage === stage && run.status === 'running' ? 'loading~spin' : 'circle-large-outline',
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
