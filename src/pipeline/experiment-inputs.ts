import { trainingConfigHash } from '../core/config/config-hash.js';
import type { ExperimentConfig } from '../core/config/schema.js';
import { discoverSplits, type ImageSplits, splitRoot, summariseSkipped } from '../core/data/image-list.js';
import { type BackendInfo, type BackendRecord, type BackendRequest, backendRecord, setupBackend } from '../core/engine/backend.js';
import { sha256Of } from '../core/io/stable-json.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import type { OnEvent } from '../protocol/events.js';
import { filesFingerprint } from './files-fingerprint.js';

/**
 * What the stages of one config share, each worked out once and only when a stage needs it: the
 * image splits (a scan of the data folder), the backend (seconds to start), the VGG16 features
 * (a weights file to read).
 */
export class ExperimentInputs {
  /** trainingConfigHash of the whole config (results.json's experiment hash). */
  readonly trainHash: string;
  private splitsPromise?: Promise<ImageSplits>;
  private backendPromise?: Promise<BackendInfo>;
  private featuresPromise?: Promise<(FeatureExtractor & { dispose?(): void }) | undefined>;
  private trainDataPromise?: Promise<string>;

  constructor(
    readonly config: ExperimentConfig,
    private readonly backendRequest: BackendRequest,
    private readonly loadFeatures: (() => Promise<(FeatureExtractor & { dispose?(): void }) | undefined>) | undefined,
    private readonly emit: OnEvent,
  ) {
    this.trainHash = trainingConfigHash(config);
  }

  /** What one model's training depends on (its checkpoints record it). */
  trainHashOf(kind: 'pconv' | 'conv'): string {
    return trainingConfigHash(this.config, kind);
  }

  /** The backend if one was started. */
  startedBackend?: BackendInfo;

  /** The started backend as run.json and training.json keep it (what ran), or null if none started. */
  startedBackendRecord(): BackendRecord | null {
    return this.startedBackend ? backendRecord(this.startedBackend) : null;
  }

  splits(): Promise<ImageSplits> {
    this.splitsPromise ??= (async () => {
      const images = await discoverSplits(this.config.data, this.config.seed);
      const skipped = summariseSkipped(images.skipped);
      if (skipped) this.emit({ type: 'log', level: 'warn', message: skipped });
      const { splits } = images;
      this.emit({
        type: 'log',
        level: 'info',
        message: `images: ${splits.train.length} train, ${splits.validation.length} validation, ${splits.test.length} test`,
      });
      return splits;
    })();
    return this.splitsPromise;
  }

  backend(): Promise<BackendInfo> {
    this.backendPromise ??= setupBackend(this.backendRequest, { model: this.config.model }).then((info) => {
      this.startedBackend = info;
      return info;
    });
    return this.backendPromise;
  }

  features(): Promise<(FeatureExtractor & { dispose?(): void }) | undefined> {
    this.featuresPromise ??= this.loadFeatures?.() ?? Promise.resolve(undefined);
    return this.featuresPromise;
  }

  /**
   * Fingerprint of the training and validation photos (paths, sizes, times): with split folders,
   * each split's files named relative to its folder, so moving the folders keeps it.
   */
  trainData(): Promise<string> {
    const data = this.config.data;
    this.trainDataPromise ??= this.splits().then(async (s) =>
      data.root !== undefined
        ? filesFingerprint([...s.train, ...s.validation], data.root)
        : sha256Of(
            `train:${await filesFingerprint(s.train, splitRoot(data, 'train'))}|validation:${await filesFingerprint(s.validation, splitRoot(data, 'validation'))}`,
          ),
    );
    return this.trainDataPromise;
  }

  async dispose(): Promise<void> {
    if (this.featuresPromise) (await this.featuresPromise.catch(() => undefined))?.dispose?.();
  }
}
