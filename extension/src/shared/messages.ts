// A namespace import (not `{ z }`) lets esbuild drop zod's unused parts, its locales above all:
// the webview bundles shrink from about 460 KB to 100 KB.
import * as z from 'zod';

/**
 * Every message between the extension host and its webviews, both directions, as zod schemas.
 * Both sides validate what they receive (a webview can be stale, a host can be a newer build) with
 * the parse helpers below, which never throw: they return the typed message or a readable error
 * (`path.to.key: problem`) that the receiver shows or logs.
 *
 * Naming: `...ToWebview` is posted by the host (panel.webview.postMessage) and received by the
 * webview (window 'message' event); `...ToHost` is posted by the webview (vscode.postMessage) and
 * received by the host (webview.onDidReceiveMessage).
 */

/** What a webview may display: a data: URI or a URI made by `webview.asWebviewUri` (https:). */
const DisplayUri = z
  .string()
  .min(1)
  .refine((uri) => /^data:image\/(png|jpeg|webp|gif);base64,/.test(uri) || uri.startsWith('https:') || uri.startsWith('vscode-webview-resource:'), {
    message: 'expected a data:image/... URI or a webview URI (webview.asWebviewUri(...).toString())',
  });

/** A PNG as a data: URI, as canvas.toDataURL('image/png') writes it. */
export const PngDataUriSchema = z.string().regex(/^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/, { message: 'expected a data:image/png;base64,... URI' });

const Pixels = z.int().min(1).max(16384);

/** A checkpoint the user may pick: `id` goes back to the host, which looks it up in its own list. */
export const CheckpointChoiceSchema = z.strictObject({
  /** Opaque to the webview; the host must accept only ids it offered (never a path from the webview). */
  id: z.string().min(1),
  /** Shown in the picker, e.g. "demo / pconv / phase2 (step 400)". */
  label: z.string().min(1),
});
export type CheckpointChoice = z.infer<typeof CheckpointChoiceSchema>;

// ---------------------------------------------------------------------------------------------
// Inpaint panel

export const InpaintToWebviewSchema = z.discriminatedUnion('type', [
  /** Sent after the webview's 'ready': the image to paint on and the checkpoints to choose from. */
  z.strictObject({
    type: z.literal('init'),
    image: z.strictObject({ uri: DisplayUri, width: Pixels, height: Pixels, name: z.string().min(1) }),
    checkpoints: z.array(CheckpointChoiceSchema),
    /** id of the checkpoint to preselect; the first one otherwise. */
    selectedCheckpoint: z.string().optional(),
  }),
  /** The CLI is working on a 'run' request; message is the stage/step the host knows of. */
  z.strictObject({ type: z.literal('progress'), message: z.string(), done: z.int().min(0).optional(), total: z.int().min(0).optional() }),
  /** `pconv-bench inpaint` finished: its output image (same size as the input). */
  z.strictObject({ type: z.literal('result'), resultUri: DisplayUri, checkpoint: z.string().min(1) }),
  /** The result was written where the user chose. */
  z.strictObject({ type: z.literal('saved'), path: z.string().min(1) }),
  /** Something failed on the host side (CLI error with its hint, cancelled run, save failed). */
  z.strictObject({ type: z.literal('error'), message: z.string().min(1), hint: z.string().optional() }),
]);
export type InpaintToWebview = z.infer<typeof InpaintToWebviewSchema>;

export const InpaintToHostSchema = z.discriminatedUnion('type', [
  /** The script is loaded and listening; the host answers with 'init'. */
  z.strictObject({ type: z.literal('ready') }),
  /**
   * Inpaint with this mask: a PNG at the image's own resolution, hole = black (0) on white (255),
   * no grey; pass it to `pconv-bench inpaint --polarity hole-black`.
   */
  z.strictObject({ type: z.literal('run'), maskPngDataUri: PngDataUriSchema, width: Pixels, height: Pixels, checkpoint: z.string().min(1) }),
  /** Stop the running inpaint. */
  z.strictObject({ type: z.literal('cancel') }),
  /** Save the last result (the host asks where). */
  z.strictObject({ type: z.literal('save') }),
  /** The webview hit a problem the host should log (e.g. it rejected an invalid host message). */
  z.strictObject({ type: z.literal('webviewError'), message: z.string().min(1) }),
]);
export type InpaintToHost = z.infer<typeof InpaintToHostSchema>;

// ---------------------------------------------------------------------------------------------
// Report panel (the report is static HTML; its bridge script only reports back)

export const ReportToWebviewSchema = z.discriminatedUnion('type', [
  /** Scroll to a section of the report, e.g. 'tables', 'paired', 'charts', 'samples', 'config'. */
  z.strictObject({ type: z.literal('reveal'), section: z.string().regex(/^[A-Za-z][\w-]*$/, { message: 'expected an element id' }) }),
]);
export type ReportToWebview = z.infer<typeof ReportToWebviewSchema>;

export const ReportToHostSchema = z.discriminatedUnion('type', [
  /** The page loaded; `charts` is how many charts Chart.js drew (0 means the chart script failed). */
  z.strictObject({ type: z.literal('ready'), charts: z.int().min(0) }),
  /** A script error or a Content-Security-Policy violation inside the report, for the output channel. */
  z.strictObject({ type: z.literal('webviewError'), message: z.string().min(1) }),
  /**
   * The user clicked the link to the table of every pair: the webview cannot open a file beside the
   * page, so the host opens the run's pairs.html in the browser. No path: the host knows the run.
   */
  z.strictObject({ type: z.literal('openPairsPage') }),
]);
export type ReportToHost = z.infer<typeof ReportToHostSchema>;

// ---------------------------------------------------------------------------------------------
// Training panel (live curves of the running CLI process, fed by its --json events)

const Step = z.int().min(1);
const TrainingModel = z.enum(['pconv', 'conv']);

/** A training step's loss (progress events of train-<model>-phase<n>; throttled by the CLI, so not every step). */
export const TrainingLossPointSchema = z.strictObject({ step: Step, loss: z.number() });
export type TrainingLossPoint = z.infer<typeof TrainingLossPointSchema>;

/** A validation pass (the CLI's validation event): its loss and the quality of the composited predictions. */
export const TrainingValidationPointSchema = z.strictObject({
  step: Step,
  phase: z.union([z.literal(1), z.literal(2)]),
  loss: z.number(),
  psnr: z.number(),
  /** null: images under 11 px (no SSIM). */
  ssim: z.number().nullable(),
  /** null: no validation pair had holes. */
  l1Hole: z.number().nullable(),
});
export type TrainingValidationPoint = z.infer<typeof TrainingValidationPointSchema>;

/** One model's curves so far. */
export const TrainingCurvesSchema = z.strictObject({
  model: TrainingModel,
  train: z.array(TrainingLossPointSchema),
  validation: z.array(TrainingValidationPointSchema),
  /** The last step of phase 1 (where phase 2 starts), once phase 2 has begun; null before. */
  phaseBoundary: Step.nullable(),
});
export type TrainingCurves = z.infer<typeof TrainingCurvesSchema>;

export const TrainingToWebviewSchema = z.discriminatedUnion('type', [
  /** Everything the host has: sent when the page is ready and when a new process starts. */
  z.strictObject({ type: z.literal('snapshot'), title: z.string(), status: z.string(), models: z.array(TrainingCurvesSchema) }),
  /** Points that came since the last message, for one model. */
  z.strictObject({
    type: z.literal('append'),
    model: TrainingModel,
    train: z.array(TrainingLossPointSchema),
    validation: z.array(TrainingValidationPointSchema),
    phaseBoundary: Step.nullable(),
  }),
  /** The process's stage and step, or how it ended. */
  z.strictObject({ type: z.literal('status'), status: z.string() }),
]);
export type TrainingToWebview = z.infer<typeof TrainingToWebviewSchema>;

export const TrainingToHostSchema = z.discriminatedUnion('type', [
  /** The script is loaded and listening; the host answers with 'snapshot'. */
  z.strictObject({ type: z.literal('ready') }),
  /** A script error, a CSP violation or an invalid host message, for the output channel. */
  z.strictObject({ type: z.literal('webviewError'), message: z.string().min(1) }),
]);
export type TrainingToHost = z.infer<typeof TrainingToHostSchema>;

// ---------------------------------------------------------------------------------------------
// Parsing

export type ParseResult<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly error: string };

/** `type: problem; image.width: problem` - zod issues as one line, each prefixed with its key path. */
function describe(error: z.ZodError, data: unknown): string {
  const type = typeof data === 'object' && data !== null && 'type' in data ? JSON.stringify((data as { type: unknown }).type) : undefined;
  const issues = error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(message)'}: ${issue.message}`).join('; ');
  return `invalid message${type ? ` of type ${type}` : ''}: ${issues}`;
}

function parser<T>(schema: z.ZodType<T>) {
  return (data: unknown): ParseResult<T> => {
    const parsed = schema.safeParse(data);
    return parsed.success ? { ok: true, message: parsed.data } : { ok: false, error: describe(parsed.error, data) };
  };
}

/** Host -> inpaint webview; used by the webview. */
export const parseInpaintToWebview = parser(InpaintToWebviewSchema);
/** Inpaint webview -> host; used by the host. */
export const parseInpaintToHost = parser(InpaintToHostSchema);
/** Host -> report webview; used by the webview. */
export const parseReportToWebview = parser(ReportToWebviewSchema);
/** Report webview -> host; used by the host. */
export const parseReportToHost = parser(ReportToHostSchema);
/** Host -> training webview; used by the webview. */
export const parseTrainingToWebview = parser(TrainingToWebviewSchema);
/** Training webview -> host; used by the host. */
export const parseTrainingToHost = parser(TrainingToHostSchema);
