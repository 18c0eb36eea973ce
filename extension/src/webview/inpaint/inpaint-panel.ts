import { type CheckpointChoice, type InpaintToHost, type InpaintToWebview, parseInpaintToWebview } from '../../shared/messages.js';
import { binarize, drawStroke, MaskStrokes, type MaskStyle, type Point } from './mask-strokes.js';

/** The overlay shows holes in a vivid colour over the photo; erasing makes it transparent again. */
const OVERLAY: MaskStyle = { hole: '#ff1f5a' };
/** The mask for the CLI: hole = black on white (`--polarity hole-black`). */
const EXPORT: MaskStyle = { hole: '#000000', keep: '#ffffff', background: '#ffffff' };

type Init = Extract<InpaintToWebview, { type: 'init' }>;

function element<T extends HTMLElement>(doc: Document, id: string, kind: new () => T): T {
  const found = doc.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`inpaint page: #${id} is missing or not a ${kind.name} (inpaintPanelHtml and inpaint-panel.ts disagree)`);
  return found;
}

/**
 * The inpaint panel's behaviour: paint a mask over the image (brush, eraser, undo, clear), ask the
 * host to run the model on it, show input, mask and result side by side, ask the host to save.
 * Every host message is validated; an invalid one is shown in the banner and reported back.
 */
export class InpaintPanel {
  private readonly el;
  private strokes: MaskStrokes | undefined;
  private overlay: CanvasRenderingContext2D | undefined;
  private image: Init['image'] | undefined;
  private erasing = false;
  private running = false;
  private lastMaskUri: string | undefined;
  private active: { op: ReturnType<MaskStrokes['begin']>; pointerId: number } | undefined;

  constructor(
    private readonly doc: Document,
    private readonly post: (message: InpaintToHost) => void,
  ) {
    this.el = {
      banner: element(doc, 'banner', HTMLDivElement),
      status: element(doc, 'status', HTMLParagraphElement),
      size: element(doc, 'brush-size', HTMLInputElement),
      sizeValue: element(doc, 'brush-size-value', HTMLOutputElement),
      eraser: element(doc, 'eraser', HTMLButtonElement),
      undo: element(doc, 'undo', HTMLButtonElement),
      clear: element(doc, 'clear', HTMLButtonElement),
      checkpoint: element(doc, 'checkpoint', HTMLSelectElement),
      run: element(doc, 'run', HTMLButtonElement),
      cancel: element(doc, 'cancel', HTMLButtonElement),
      image: element(doc, 'image', HTMLImageElement),
      canvas: element(doc, 'overlay', HTMLCanvasElement),
      results: element(doc, 'results-view', HTMLElement),
      resultInput: element(doc, 'result-input', HTMLImageElement),
      resultMask: element(doc, 'result-mask', HTMLImageElement),
      resultOutput: element(doc, 'result-output', HTMLImageElement),
      resultCaption: element(doc, 'result-caption', HTMLElement),
      save: element(doc, 'save', HTMLButtonElement),
    };
    this.wire();
  }

  /** Handles one message from the host (the window 'message' event's data). */
  receive(data: unknown): void {
    const parsed = parseInpaintToWebview(data);
    if (!parsed.ok) {
      const message = `Ignored an invalid message from the extension: ${parsed.error}`;
      this.showError(message);
      this.post({ type: 'webviewError', message });
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'init':
        this.init(message);
        break;
      case 'progress':
        this.setStatus(message.total ? `${message.message} (${message.done ?? 0}/${message.total})` : message.message);
        break;
      case 'result':
        this.showResult(message.resultUri, message.checkpoint);
        break;
      case 'saved':
        this.setStatus(`Saved to ${message.path}`);
        break;
      case 'error':
        this.setRunning(false);
        this.showError(message.hint ? `${message.message}\n${message.hint}` : message.message);
        break;
    }
  }

  private init(message: Init): void {
    // A new init (another image) starts over: no strokes, no pending run, no old result.
    this.image = message.image;
    this.lastMaskUri = undefined;
    this.active = undefined;
    this.running = false;
    this.strokes = new MaskStrokes(message.image.width, message.image.height);
    const { canvas, image, size, checkpoint } = this.el;
    canvas.width = message.image.width;
    canvas.height = message.image.height;
    this.overlay = canvas.getContext('2d') ?? undefined;
    image.src = message.image.uri;
    image.width = message.image.width;
    image.height = message.image.height;
    image.alt = `Image to inpaint: ${message.image.name}`;
    // A brush of 1/16 of the shorter side suits both a 64 px test image and a 4000 px photo.
    const short = Math.min(message.image.width, message.image.height);
    size.max = String(Math.max(8, Math.round(short / 2)));
    size.value = String(Math.max(1, Math.round(short / 16)));
    this.updateSizeLabel();
    checkpoint.replaceChildren(...message.checkpoints.map((c: CheckpointChoice) => new Option(c.label, c.id)));
    if (message.checkpoints.length === 0) checkpoint.append(new Option('(no trained checkpoint)', ''));
    if (message.selectedCheckpoint && message.checkpoints.some((c) => c.id === message.selectedCheckpoint)) checkpoint.value = message.selectedCheckpoint;
    checkpoint.disabled = message.checkpoints.length === 0;
    this.el.results.hidden = true;
    this.hideError();
    this.setStatus(
      message.checkpoints.length === 0
        ? 'No trained checkpoint found: train a model first (PConv Bench: Run Experiment).'
        : `Paint the holes to fill on ${message.image.name} (${message.image.width}x${message.image.height}).`,
    );
    this.redraw();
  }

  private wire(): void {
    const { size, eraser, undo, clear, run, cancel, save, canvas } = this.el;
    size.addEventListener('input', () => this.updateSizeLabel());
    eraser.addEventListener('click', () => this.setErasing(!this.erasing));
    undo.addEventListener('click', () => this.undo());
    clear.addEventListener('click', () => {
      if (this.strokes?.clear()) this.redraw();
    });
    run.addEventListener('click', () => this.run());
    cancel.addEventListener('click', () => this.post({ type: 'cancel' }));
    save.addEventListener('click', () => this.post({ type: 'save' }));
    this.el.image.addEventListener('error', () => {
      const message = `Could not show the image ${this.image?.name ?? ''}: the extension sent a URI this page cannot load.`;
      this.showError(message);
      this.post({ type: 'webviewError', message });
    });
    canvas.addEventListener('pointerdown', (event) => this.pointerDown(event));
    canvas.addEventListener('pointermove', (event) => this.pointerMove(event));
    canvas.addEventListener('pointerup', (event) => this.pointerUp(event));
    canvas.addEventListener('pointercancel', (event) => this.pointerUp(event));
    this.doc.addEventListener('keydown', (event) => this.shortcut(event));
  }

  /** Ctrl/Cmd+Z undo, E eraser, [ and ] brush size; not while typing in a control that uses the keys. */
  private shortcut(event: KeyboardEvent): void {
    const target = event.target;
    if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target.type !== 'range')) return;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      this.undo();
    } else if (!event.ctrlKey && !event.metaKey && !event.altKey) {
      if (event.key === 'e' || event.key === 'E') this.setErasing(!this.erasing);
      else if (event.key === '[' || event.key === ']') {
        const step = Math.max(1, Math.round(Number(this.el.size.value) * 0.2));
        this.el.size.value = String(Number(this.el.size.value) + (event.key === ']' ? step : -step));
        this.updateSizeLabel();
      } else return;
      event.preventDefault();
    }
  }

  private setErasing(on: boolean): void {
    this.erasing = on;
    this.el.eraser.setAttribute('aria-pressed', String(on));
  }

  private updateSizeLabel(): void {
    this.el.sizeValue.value = `${this.el.size.value} px`;
  }

  /** Pointer position in image pixels, whatever size the image is shown at. */
  private toImage(event: PointerEvent): Point {
    const rect = this.el.canvas.getBoundingClientRect();
    const strokes = this.strokes as MaskStrokes;
    return { x: ((event.clientX - rect.left) * strokes.width) / rect.width, y: ((event.clientY - rect.top) * strokes.height) / rect.height };
  }

  private pointerDown(event: PointerEvent): void {
    if (!this.strokes || !this.overlay || this.running || event.button !== 0) return;
    event.preventDefault();
    this.el.canvas.setPointerCapture(event.pointerId);
    const op = this.strokes.begin(this.toImage(event), Number(this.el.size.value), this.erasing);
    this.active = { op, pointerId: event.pointerId };
    drawStroke(this.overlay, op, OVERLAY, 0);
    this.updateControls();
  }

  private pointerMove(event: PointerEvent): void {
    if (!this.active || !this.overlay || event.pointerId !== this.active.pointerId) return;
    this.active.op.points.push(this.toImage(event));
    drawStroke(this.overlay, this.active.op, OVERLAY, this.active.op.points.length - 1);
  }

  private pointerUp(event: PointerEvent): void {
    if (!this.active || event.pointerId !== this.active.pointerId) return;
    this.active = undefined;
    this.updateControls();
  }

  private undo(): void {
    if (this.active || !this.strokes?.undo()) return;
    this.redraw();
  }

  private redraw(): void {
    if (this.strokes && this.overlay) this.strokes.draw(this.overlay, OVERLAY);
    this.updateControls();
  }

  private updateControls(): void {
    const painted = this.strokes !== undefined && !this.strokes.isEmpty();
    this.el.undo.disabled = this.running || !this.strokes?.ops.length;
    this.el.clear.disabled = this.running || !painted;
    this.el.run.disabled = this.running || !painted || this.el.checkpoint.value === '';
    this.el.cancel.hidden = !this.running;
  }

  /** The mask at the image's own resolution: hole = black, kept = white, no grey. */
  maskPng(): { uri: string; holes: number } {
    const strokes = this.strokes;
    if (!strokes) throw new Error('no image yet');
    const canvas = this.doc.createElement('canvas');
    canvas.width = strokes.width;
    canvas.height = strokes.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this webview cannot draw on a canvas');
    strokes.draw(ctx, EXPORT);
    const pixels = ctx.getImageData(0, 0, strokes.width, strokes.height);
    const holes = binarize(pixels.data);
    ctx.putImageData(pixels, 0, 0);
    return { uri: canvas.toDataURL('image/png'), holes };
  }

  private run(): void {
    if (!this.strokes || this.running) return;
    const { uri, holes } = this.maskPng();
    if (holes === 0) {
      this.setStatus('The mask has no hole left after erasing: paint the areas to fill.');
      return;
    }
    this.lastMaskUri = uri;
    this.hideError();
    this.setRunning(true);
    this.setStatus('Inpainting...');
    this.post({ type: 'run', maskPngDataUri: uri, width: this.strokes.width, height: this.strokes.height, checkpoint: this.el.checkpoint.value });
  }

  private showResult(resultUri: string, checkpoint: string): void {
    if (!this.image || !this.lastMaskUri) {
      const message = 'Ignored a result from the extension: no inpaint was requested on this page.';
      this.showError(message);
      this.post({ type: 'webviewError', message });
      return;
    }
    this.setRunning(false);
    this.el.resultInput.src = this.image.uri;
    this.el.resultMask.src = this.lastMaskUri;
    this.el.resultOutput.src = resultUri;
    // Say which model made it: the user may compare checkpoints one run after another.
    const label = [...this.el.checkpoint.options].find((o) => o.value === checkpoint)?.text ?? checkpoint;
    this.el.resultCaption.textContent = `Inpainted: ${label}`;
    this.el.results.hidden = false;
    this.el.save.focus();
    this.setStatus('Done: compare input, mask and result below, then save the result if you want to keep it.');
  }

  private setRunning(running: boolean): void {
    this.running = running;
    this.el.checkpoint.disabled = running || this.el.checkpoint.value === '';
    this.updateControls();
  }

  private setStatus(text: string): void {
    this.el.status.textContent = text;
  }

  private showError(text: string): void {
    this.el.banner.textContent = text;
    this.el.banner.hidden = false;
  }

  private hideError(): void {
    this.el.banner.hidden = true;
    this.el.banner.textContent = '';
  }
}
