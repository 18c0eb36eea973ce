/**
 * Whether the training data loader kept up, in figures: what training asked of it (images per
 * second while not waiting) against what it built (images per second while building), and how
 * long training waited for batches. Recorded per model in training.json (TrainResult.dataLoader)
 * because on a fast GPU the step can outrun decoding, and nothing else in a run would show it.
 */
export interface LoaderStats {
  readonly batchSize: number;
  /** Batches handed to training. */
  readonly batches: number;
  /** Images decoded, cropped and masked, batches built ahead and never taken included. */
  readonly imagesBuilt: number;
  /** Seconds during which at least one batch was being built. */
  readonly busySeconds: number;
  /** Seconds training waited for its first batch: start-up, when nothing could be built ahead. */
  readonly firstWaitSeconds: number;
  /** Seconds training waited for every later batch: about 0 when the loader keeps up. */
  readonly waitSeconds: number;
  /** Seconds from handing over a batch to the ask for the next: training's own work (steps, validation, checkpoints). */
  readonly consumeSeconds: number;
  /**
   * Images per second training used while not waiting (batch size x the asks after the first /
   * consumeSeconds): what the loader has to sustain. Null before a second ask.
   */
  readonly neededImagesPerSecond: number | null;
  /**
   * Images per second the loader built while busy (imagesBuilt / busySeconds). A lower bound of what
   * it could deliver: when it keeps up it idles on a full prefetch queue and builds few batches at
   * once, and a build's main-thread parts (the mask, the conversion to float) wait while a training
   * step holds that thread. Whether it kept up is the waits. Null before a batch was built.
   */
  readonly deliveredImagesPerSecond: number | null;
}

/** Timestamps of BatchSource's work folded into LoaderStats; times in ms (performance.now()). */
export class LoaderClock {
  private batches = 0;
  private imagesBuilt = 0;
  private building = 0;
  private busySince = 0;
  private busyMs = 0;
  private askedAt: number | undefined;
  private deliveredAt: number | undefined;
  private asksAfterFirst = 0;
  private firstWaitMs = 0;
  private waitMs = 0;
  private consumeMs = 0;

  constructor(private readonly batchSize: number) {}

  buildStarted(now: number): void {
    if (this.building++ === 0) this.busySince = now;
  }

  /** A build ended; `images` is what it made (0 when it failed). */
  buildEnded(now: number, images: number): void {
    this.imagesBuilt += images;
    if (--this.building === 0) this.busyMs += now - this.busySince;
  }

  /** Training asked for a batch: the time since the last one was handed over was its own work. */
  asked(now: number): void {
    if (this.deliveredAt !== undefined) {
      this.consumeMs += now - this.deliveredAt;
      this.asksAfterFirst++;
    }
    this.askedAt = now;
  }

  /** The batch asked for was handed over: the time since the ask was spent waiting. */
  delivered(now: number): void {
    const waited = now - (this.askedAt ?? now);
    if (this.batches === 0) this.firstWaitMs = waited;
    else this.waitMs += waited;
    this.batches++;
    this.deliveredAt = now;
  }

  stats(now: number): LoaderStats {
    const busyMs = this.busyMs + (this.building > 0 ? now - this.busySince : 0);
    return {
      batchSize: this.batchSize,
      batches: this.batches,
      imagesBuilt: this.imagesBuilt,
      busySeconds: busyMs / 1000,
      firstWaitSeconds: this.firstWaitMs / 1000,
      waitSeconds: this.waitMs / 1000,
      consumeSeconds: this.consumeMs / 1000,
      neededImagesPerSecond: this.asksAfterFirst > 0 && this.consumeMs > 0 ? (this.asksAfterFirst * this.batchSize * 1000) / this.consumeMs : null,
      deliveredImagesPerSecond: this.imagesBuilt > 0 && busyMs > 0 ? (this.imagesBuilt * 1000) / busyMs : null,
    };
  }
}

/** One line for the training log: needed vs delivered and the waits. */
export function describeLoaderStats(stats: LoaderStats): string {
  const rate = (value: number | null) => (value === null ? '-' : value.toFixed(1));
  return (
    `data loader: training needed ${rate(stats.neededImagesPerSecond)} images/s, the loader built ${rate(stats.deliveredImagesPerSecond)} images/s while busy; ` +
    `waited ${stats.firstWaitSeconds.toFixed(2)} s for the first batch and ${stats.waitSeconds.toFixed(2)} s for the ${Math.max(0, stats.batches - 1)} after it`
  );
}
