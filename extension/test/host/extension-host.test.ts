import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseTrainLog } from '../../../src/protocol/training-log.js';
import { imageSize } from '../../src/host/image-size.js';
import type { RunOutcome } from '../../src/host/runs-model.js';
import { parseInpaintToWebview, parseTrainingToWebview, type TrainingToWebview } from '../../src/shared/messages.js';
import { assertCliBuilt, realCli, repoRoot, useTempDirs } from './helpers/real-cli.js';
import { activateBuilt, extensionDir, type PanelStandIn, type StandIn, vscodeStandIn, WEBVIEW_CSP_SOURCE, WEBVIEW_ORIGIN } from './helpers/vscode-stand-in.js';

const tempDir = useTempDirs();
let workspace: string;
let standIn: StandIn;
let workspaceState: Map<string, unknown>;

const command = (id: string, ...args: unknown[]) => (standIn.commands.get(id) as (...a: unknown[]) => Promise<void>)(...args);
const uri = (path: string) => (standIn.api.Uri as { file(p: string): unknown }).file(path);

/** Calls `then` once a progress message of the running command matches. */
function whenProgress(pattern: RegExp, then: () => void): () => void {
  const poll = setInterval(() => {
    if (standIn.progress.at(-1)?.reports.some((r) => pattern.test(r.message ?? ''))) {
      clearInterval(poll);
      then();
    }
  }, 20);
  return () => clearInterval(poll);
}

/** The first message of this type the host posted to the panel (waits for it). */
async function posted(panel: PanelStandIn, type: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    const found = panel.posted.find((m) => (m as { type?: string }).type === type);
    if (found) return found as Record<string, unknown>;
    if (Date.now() - started > timeoutMs) throw new Error(`no ${type} message posted; got ${JSON.stringify(panel.posted)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The training panel the user opened while the resumed run trained: its page under the webviews'
 * CSP, and once the page says 'ready', the curves of that process: the loss of the steps the
 * stream reported, and the validation passes with the very values of the run's training log.
 */
async function expectTrainingPanel(runDir: string): Promise<void> {
  const panels = standIn.panels.filter((p) => p.viewType === 'pconvBench.training');
  expect(panels).toHaveLength(1);
  const panel = panels[0] as PanelStandIn;
  expect(panel).toMatchObject({ title: 'Training', options: { enableScripts: true } });
  expect(panel.options.localResourceRoots?.map((u) => u.fsPath)).toEqual([join(extensionDir, 'dist', 'webview'), join(extensionDir, 'dist', 'media')]);
  const html = panel.html();
  expect(html.replaceAll('&#39;', "'")).toContain("default-src 'none'");
  expect(html).toContain(`src="${WEBVIEW_ORIGIN}${join(extensionDir, 'dist', 'media', 'chart.umd.min.js')}"`);
  expect(html).toContain(`src="${WEBVIEW_ORIGIN}${join(extensionDir, 'dist', 'webview', 'training.js')}"`);
  // Nothing is posted before the page is ready; then the snapshot.
  expect(panel.posted).toEqual([]);
  await panel.fromWebview({ type: 'ready' });
  const snapshot = panel.posted[0] as Extract<TrainingToWebview, { type: 'snapshot' }>;
  expect(parseTrainingToWebview(snapshot)).toEqual({ ok: true, message: snapshot });
  expect(snapshot).toMatchObject({ type: 'snapshot', title: 'resume smoke', status: expect.stringMatching(/^finished in \d+ s$/) });
  expect(snapshot.models.map((m) => m.model)).toEqual(['pconv', 'conv']);
  for (const curve of snapshot.models) {
    // smoke.yaml: 20 steps of phase 1, 10 of phase 2, validation every 10.
    expect(curve.phaseBoundary).toBe(20);
    expect(curve.train.length).toBeGreaterThan(1);
    expect(curve.train.at(-1)?.step).toBe(30);
    expect(curve.train.every((p, i) => i === 0 || p.step > (curve.train[i - 1] as { step: number }).step)).toBe(true);
    const logged = parseTrainLog(await readFile(join(runDir, 'logs', `train-${curve.model}.jsonl`), 'utf8')).lines.flatMap((l) =>
      l.type === 'validation' && l.quality ? [{ step: l.step, phase: l.phase, loss: l.total, ...l.quality }] : [],
    );
    expect(curve.validation.map((p) => p.step)).toEqual(curve.model === 'conv' ? [10, 20, 30] : expect.arrayContaining([20, 30]));
    expect(curve.validation).toEqual(logged.slice(-curve.validation.length).map(({ pairs: _pairs, ...point }) => point));
  }
  await panel.fromWebview({ type: 'hello' });
  expect(standIn.output()).toMatch(/\[training\] invalid message of type "hello"/);
  // The command brings the same panel back rather than open another.
  await command('pconvBench.showTraining');
  expect(standIn.panels.filter((p) => p.viewType === 'pconvBench.training')).toHaveLength(1);
}

beforeAll(async () => {
  assertCliBuilt();
  // A user's project: configs/ and reports/ in the workspace; the photos stay in the repository.
  workspace = await tempDir();
  await mkdir(join(workspace, 'configs'));
  const smoke = await readFile(join(repoRoot, 'configs', 'smoke.yaml'), 'utf8');
  await writeFile(join(workspace, 'configs', 'smoke.yaml'), smoke.replace('root: ../data/photos', `root: ${join(repoRoot, 'data', 'photos')}`));
  await writeFile(
    join(workspace, 'configs', 'bad.yaml'),
    'name: bad\nseed: "one"\ndata:\n  root: ./photos\n  imageSize: 32\nloss: { perceptual: 0, style: 0 }\n',
  );
  standIn = vscodeStandIn({ workspace, settings: { cliPath: realCli, backend: 'wasm' } });
  ({ workspaceState } = activateBuilt(standIn, extensionDir));
});

describe('the built extension driving the real CLI (VS Code replaced by a recording stand-in)', () => {
  test('Run Experiment on a broken config: diagnostics on its lines, an error notification, the log in the output channel', async () => {
    const bad = join(workspace, 'configs', 'bad.yaml');
    await command('pconvBench.runExperiment', uri(bad));
    const diagnostics = standIn.diagnostics.get(bad) ?? [];
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character])).toContainEqual(['seed', 1, 6, 11]);
    expect(diagnostics.every((d) => d.source === 'pconv-bench')).toBe(true);
    expect(standIn.messages.at(-1)).toMatchObject({ level: 'error', buttons: ['Show Log'] });
    expect(standIn.messages.at(-1)?.text).toMatch(/^PConv Bench: run bad\.yaml: failed: .*bad\.yaml: \d+ problems?/);
    expect(standIn.output()).toContain(`${realCli} run ${bad} --backend wasm`);
    expect(standIn.output()).toContain('seed: Invalid input: expected number, received string');
    expect(standIn.context['pconvBench.busy']).toBe(false);
  });

  test('saving a config checks it with the CLI: problems appear on their lines, and go once fixed', async () => {
    const file = join(workspace, 'configs', 'edited.yaml');
    const waitDiagnostics = async (done: (list: unknown[] | undefined) => boolean) => {
      for (let i = 0; i < 3000 && !done(standIn.diagnostics.get(file)); i++) await new Promise((r) => setTimeout(r, 20));
      return standIn.diagnostics.get(file);
    };
    await writeFile(file, 'name: edited\nseed: 1\nmasks:\n  perBin: 0\n');
    standIn.saved(file);
    const problems = (await waitDiagnostics((list) => list !== undefined)) as { code?: unknown; range: { start: { line: number } } }[];
    expect(problems.map((d) => [d.code, d.range.start.line])).toContainEqual(['masks.perBin', 3]);
    await writeFile(file, (await readFile(join(workspace, 'configs', 'smoke.yaml'), 'utf8')).replace('name: smoke', 'name: edited'));
    standIn.saved(file);
    expect(await waitDiagnostics((list) => list === undefined)).toBeUndefined();
  });

  test('Run Experiment, then Stop: the CLI stops cleanly and the Runs view shows the run interrupted; Resume finishes it', async () => {
    const config = join(workspace, 'configs', 'smoke.yaml');
    const runDir = join(workspace, 'reports', 'smoke');
    const stopWhenTraining = whenProgress(/^train-pconv-phase1: \d+\/20 steps/, () => void command('pconvBench.stop'));
    await command('pconvBench.runExperiment', uri(config));
    stopWhenTraining();
    const progress = standIn.progress.at(-1);
    expect(progress?.title).toBe('PConv Bench: run smoke.yaml');
    expect(progress?.reports.map((r) => r.message)).toContain('masks: started (24 masks at 32x32)');
    expect(progress?.reports.reduce((sum, r) => sum + (r.increment ?? 0), 0)).toBeGreaterThanOrEqual(20);
    expect(standIn.output()).toContain('stopping: SIGINT');
    expect(standIn.messages.at(-1)).toMatchObject({ level: 'warning' });
    expect(standIn.messages.at(-1)?.text).toContain('interrupted (a checkpoint was saved; run again to continue)');
    // The outcome is remembered for the run folder the CLI locked.
    const outcomes = workspaceState.get('pconvBench.outcomes') as Record<string, RunOutcome>;
    expect(outcomes[runDir]?.exitCode).toBe(130);
    // With when it started: a run.json begun before that was written by an earlier process.
    expect(outcomes[runDir]?.startedAt).toBeLessThanOrEqual(outcomes[runDir]?.at ?? 0);

    await command('pconvBench.refreshRuns');
    const tree = standIn.trees.get('pconvBench.runs');
    const [node, ...others] = tree?.getChildren() ?? [];
    expect(others).toEqual([]);
    const item = tree?.getTreeItem(node);
    expect(item).toMatchObject({ label: 'smoke', contextValue: 'run resumable' });
    expect(item?.description).toBe('interrupted in train-pconv \u00b7 1/5 stages');

    // The training view is offered when the process starts training; this time the user takes it.
    expect(standIn.messages.filter((m) => m.buttons.includes('Show Training Curves')).map((m) => m.text)).toEqual(['PConv Bench: run smoke.yaml is training.']);
    standIn.answer = (_text, buttons) => (buttons.includes('Show Training Curves') ? 'Show Training Curves' : undefined);
    await command('pconvBench.resumeRun', node);
    standIn.answer = () => undefined;
    expect(standIn.output()).toContain(`${realCli} run ${config} --run ${runDir} --backend wasm`);
    expect(standIn.messages.at(-1)).toMatchObject({ level: 'info', buttons: ['Open Report'] });
    await expectTrainingPanel(runDir);
    await command('pconvBench.refreshRuns');
    const [finished] = tree?.getChildren() ?? [];
    const finishedItem = tree?.getTreeItem(finished);
    expect(finishedItem?.description).toMatch(/^finished \u00b7 PSNR \d+\.\d\d dB \(PConv\) vs \d+\.\d\d dB \(Conv \(baseline\)\)$/);
    expect(finishedItem).toMatchObject({ contextValue: 'run hasReport', command: { command: 'pconvBench.openReport' } });
  });

  test("Open Report: the run's report under a strict CSP, images from the run folder; webview messages are validated", async () => {
    const runDir = join(workspace, 'reports', 'smoke');
    const [node] = standIn.trees.get('pconvBench.runs')?.getChildren() ?? [];
    await command('pconvBench.openReport', node);
    const panel = standIn.panels.at(-1);
    expect(panel).toMatchObject({ viewType: 'pconvBench.report', title: 'Report: smoke', options: { enableScripts: true } });
    expect(panel?.options.localResourceRoots?.map((u) => u.fsPath)).toEqual([join(extensionDir, 'dist', 'webview'), runDir]);
    const html = panel?.html() ?? '';
    const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '').replaceAll('&#39;', "'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toContain("default-src 'none'");
    // webview.cspSource is a source list (issue 19): it goes in whole, where the local resources load.
    expect(csp).toContain(`img-src ${WEBVIEW_CSP_SOURCE} data:`);
    expect(csp).toContain(`font-src ${WEBVIEW_CSP_SOURCE};`);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(html).toContain(`src="${WEBVIEW_ORIGIN}${join(extensionDir, 'dist', 'webview', 'report-bridge.js')}"`);
    const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8'));
    expect(html).toContain(`${WEBVIEW_ORIGIN}${join(runDir, results.samples[0].input)}`);
    // The drill-down the CLI wrote, its pictures from the run folder too; its link to the table of
    // every pair opens the run's pairs.html outside the editor, whatever the webview says.
    const drilldown = JSON.parse(await readFile(join(runDir, 'drilldown.json'), 'utf8'));
    expect(html).toContain('<h2 id="drilldown">');
    expect(html).toContain(`src="${WEBVIEW_ORIGIN}${join(runDir, drilldown.pairs[0].mask)}"`);
    expect(html).toContain('id="pairs-link"');
    await panel?.fromWebview({ type: 'openPairsPage' });
    expect(standIn.opened).toEqual([join(runDir, 'pairs.html')]);
    await panel?.fromWebview({ type: 'webviewError', message: 'Refused to load the image' });
    await panel?.fromWebview({ type: 'hello' });
    expect(standIn.output()).toContain('[report smoke] Refused to load the image');
    expect(standIn.output()).toMatch(/\[report smoke\] invalid message of type "hello"/);
    // Opening it again re-reads the files into the same panel.
    await command('pconvBench.openReport', node);
    expect(standIn.panels.filter((p) => p.viewType === 'pconvBench.report')).toHaveLength(1);
  });

  test('Inpaint Image...: the image and checkpoints go to the webview; a painted mask is filled by the real CLI and saved', async () => {
    const image = join(workspace, 'photo.png');
    await sharp(join(repoRoot, 'data', 'photos', '001_chelsea.png'))
      .extract({ left: 100, top: 80, width: 48, height: 40 })
      .toFile(image);
    await command('pconvBench.inpaintImage', uri(image));
    const panel = standIn.panels.at(-1) as PanelStandIn;
    expect(panel).toMatchObject({ viewType: 'pconvBench.inpaint', title: 'Inpaint: photo.png', options: { enableScripts: true } });
    expect(panel.html()).toContain(`src="${WEBVIEW_ORIGIN}${join(extensionDir, 'dist', 'webview', 'inpaint.js')}"`);
    expect(panel.html().replaceAll('&#39;', "'")).toContain(`img-src ${WEBVIEW_CSP_SOURCE} data:`);
    await panel.fromWebview({ type: 'ready' });
    const init = await posted(panel, 'init');
    expect(init.image).toEqual({ uri: `${WEBVIEW_ORIGIN}${image}`, width: 48, height: 40, name: 'photo.png' });
    const checkpoints = init.checkpoints as { id: string; label: string }[];
    expect(checkpoints[0]).toEqual({ id: 'c0', label: 'smoke / pconv / phase2 (step 30)' });
    const mask = await sharp({ create: { width: 48, height: 40, channels: 3, background: '#fff' } })
      .composite([{ input: { create: { width: 10, height: 8, channels: 3, background: '#000' } }, left: 19, top: 16 }])
      .png()
      .toBuffer();
    const maskPngDataUri = `data:image/png;base64,${mask.toString('base64')}`;
    // A checkpoint id the host did not offer is refused: the webview never names a path.
    await panel.fromWebview({ type: 'run', maskPngDataUri, width: 48, height: 40, checkpoint: '../../etc' });
    expect(await posted(panel, 'error')).toMatchObject({ message: 'unknown checkpoint ../../etc' });
    await panel.fromWebview({ type: 'run', maskPngDataUri, width: 48, height: 40, checkpoint: 'c0' });
    const result = await posted(panel, 'result');
    expect(result.checkpoint).toBe('c0');
    const png = Buffer.from(String(result.resultUri).replace('data:image/png;base64,', ''), 'base64');
    expect(imageSize(png)).toEqual({ width: 48, height: 40, format: 'png' });
    standIn.savePath = join(workspace, 'photo-inpainted.png');
    await panel.fromWebview({ type: 'save' });
    expect(await posted(panel, 'saved')).toEqual({ type: 'saved', path: standIn.savePath });
    expect((await readFile(standIn.savePath)).equals(png)).toBe(true);
    // Everything the host posted passes the webview's own validation.
    for (const message of panel.posted) expect(parseInpaintToWebview(message)).toMatchObject({ ok: true });
    expect(standIn.output()).toContain(`inpaint --checkpoint ${join(workspace, 'reports', 'smoke', 'checkpoints', 'pconv', 'phase2')} --image ${image}`);
  });
});
