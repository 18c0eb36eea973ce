/**
 * What render-pool.ts and its worker threads (mask-worker.ts) send each other. A module of its own
 * so that neither of the two imports the other.
 */
import type { MaskJob, MaskSetSpec } from './mask-plan.js';

export interface MaskWorkerData {
  readonly spec: MaskSetSpec;
  /**
   * One Int32 the pool sets to 1 to stop the workers: each checks it before every mask, so a busy
   * worker stops at the next mask boundary without waiting for the end of its chunk.
   */
  readonly stop: SharedArrayBuffer;
}

export type WorkerRequest =
  | {
      readonly type: 'render';
      readonly dir: string;
      readonly items: readonly { readonly index: number; readonly job: MaskJob; readonly seed: number }[];
    }
  /** Close the port, so that the thread ends by itself once its current message is handled. */
  | { readonly type: 'stop' };

export type WorkerReply =
  | { readonly ok: true; readonly results: readonly { index: number; holeRatio: number; sha256: string }[] }
  | {
      readonly ok: false;
      readonly message: string;
      readonly userError?: { code: string; message: string; hint?: string; details: readonly string[] };
      /** A file-system error's fields, so the main thread can tell "disk full" from a bug. */
      readonly errno?: { code?: string; syscall?: string; path?: string };
    };
