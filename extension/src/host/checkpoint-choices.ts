import type { CheckpointChoice } from '../shared/messages.js';
import { CHECKPOINT_SLOTS, type CheckpointInfo, type RunInfo } from './runs-model.js';

/** The checkpoints a user may inpaint with, best first: phase 2 of PConv before phase 1 and latest, then the baseline's. */
export function checkpointChoices(runs: readonly RunInfo[]): { choice: CheckpointChoice; checkpoint: CheckpointInfo }[] {
  const order = (c: CheckpointInfo) => (c.kind === 'pconv' ? 0 : 1) * CHECKPOINT_SLOTS.length + CHECKPOINT_SLOTS.indexOf(c.phase);
  return runs
    .flatMap((run) => run.checkpoints.map((checkpoint) => ({ run, checkpoint })))
    .sort((a, b) => order(a.checkpoint) - order(b.checkpoint))
    .map(({ run, checkpoint }, i) => ({
      choice: {
        id: `c${i}`,
        label: `${run.workspaceFolder ? `${run.workspaceFolder}: ` : ''}${run.label} / ${checkpoint.kind} / ${checkpoint.phase} (step ${checkpoint.step})`,
      },
      checkpoint,
    }));
}
