import { spawn } from 'node:child_process';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import { DrilldownSchema } from '../../src/protocol/drilldown.js';
import { cliEvents, repoRoot, runCli } from '../helpers/run-cli.js';

/**
 * The streaming evaluation end to end, on the smoke experiment with more masks (180 pairs): the
 * same bytes for any worker count, batch size and shard split; kill -9 and Ctrl-C at several
 * moments, then the same command, give the bytes of an uninterrupted evaluation; a file that
 * cannot be decoded mid-stream stops it with the file's name and keeps the scores before it.
 */
const bin = resolve(repoRoot, 'bin/pconv-bench.js');
let dir: string;
let configFile: string;
let reference: string;
let expected: Buffer;
let expectedDrilldown: Map<string, Buffer>;
let expectedSamples: Map<string, Buffer>;

/** A copy of the trained reference run without its evaluation. */
async function unevaluated(name: string): Promise<string> {
  const run = join(dir, name);
  await cp(reference, run, { recursive: true });
  for (const path of ['results.json', 'index.html', 'pairs.html', 'scores', 'eval-samples', 'eval-shard.json', 'drilldown.json', 'drilldown'])
    await rm(join(run, path), { recursive: true, force: true });
  return run;
}

/** drilldown.json and every file of drilldown/ (pictures and stamps), by name. */
async function drilldownFiles(run: string): Promise<Map<string, Buffer>> {
  const files = new Map([['drilldown.json', await readFile(join(run, 'drilldown.json'))]]);
  for (const name of (await readdir(join(run, 'drilldown'))).sort()) files.set(`drilldown/${name}`, await readFile(join(run, 'drilldown', name)));
  return files;
}

/**
 * Every file of eval-samples/ (pictures and each group's stamp), by name. Hidden files are left
 * out: a kill -9 mid-write can leave an atomic write's temporary file in a group's folder.
 */
async function sampleFiles(run: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const group of (await readdir(join(run, 'eval-samples'))).sort())
    for (const name of (await readdir(join(run, 'eval-samples', group))).sort())
      if (!name.startsWith('.')) files.set(`eval-samples/${group}/${name}`, await readFile(join(run, 'eval-samples', group, name)));
  return files;
}

/**
 * What an evaluation ends with, byte for byte as the uninterrupted reference's: results.json, the
 * sample pictures and their stamps (hashes only: the same whatever the photos' modification
 * times), drilldown.json and the drill-down pictures, and with `stamps` each pair's stamp. A stamp holds
 * what made the pictures, each test image's modification time among it, so after a photo is
 * restored (the same bytes, a new time) its pairs' stamps differ from the reference's and the
 * pictures made again do not.
 */
async function expectReferenceBytes(run: string, label: string, { stamps = true } = {}): Promise<void> {
  expect((await readFile(join(run, 'results.json'))).equals(expected), `results.json: ${label}`).toBe(true);
  const samples = await sampleFiles(run);
  expect([...samples.keys()], `sample files: ${label}`).toEqual([...expectedSamples.keys()]);
  for (const [name, bytes] of samples) expect(bytes.equals(expectedSamples.get(name) as Buffer), `${name}: ${label}`).toBe(true);
  const files = await drilldownFiles(run);
  expect([...files.keys()], `drill-down files: ${label}`).toEqual([...expectedDrilldown.keys()]);
  for (const [name, bytes] of files) {
    if (!stamps && /^drilldown\/pair-\d+\.json$/.test(name)) continue;
    expect(bytes.equals(expectedDrilldown.get(name) as Buffer), `${name}: ${label}`).toBe(true);
  }
}

/** Runs `eval` and calls `damage` once the PConv scores file holds `lines` pairs: a file that goes bad mid-stream, after the checks before it. */
function damageWhileScoring(
  run: string,
  lines: number,
  damage: () => Promise<void>,
  ...more: string[]
): Promise<{ code: number | null; stderr: string; damaged: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...evalArgs(run, ...more)], { cwd: repoRoot });
    let stderr = '';
    let damaged = false;
    let busy = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const poll = setInterval(async () => {
      if (damaged || busy) return;
      busy = true;
      if ((await scoreLines(run)) >= lines) {
        await damage();
        damaged = true;
      }
      busy = false;
    }, 5);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stderr, damaged });
    });
  });
}

const evalArgs = (run: string, ...more: string[]) => ['eval', configFile, '--run', run, '--backend', 'wasm', ...more];

async function scoreLines(run: string, file = 'pconv.jsonl'): Promise<number> {
  const text = await readFile(join(run, 'scores', file), 'utf8').catch(() => '');
  return text.split('\n').length - 2; // minus the header and the empty string after the last newline
}

/**
 * Starts `eval` and kill -9s it once the PConv scores file holds `lines` pairs (0: at the first
 * stderr line), or once `lines(run)` holds.
 */
function killAt(
  run: string,
  lines: number | ((run: string) => Promise<boolean>),
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...evalArgs(run, '--batch', '4')], { cwd: repoRoot });
    let stderr = '';
    let killed = false;
    let busy = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // One poll at a time: two polls awaiting the file together would both signal, and a second
    // SIGINT is the CLI's "exit at once".
    const poll = setInterval(async () => {
      if (killed || busy) return;
      busy = true;
      const reached = typeof lines === 'function' ? await lines(run) : lines === 0 ? stderr.length > 0 : (await scoreLines(run)) >= lines;
      busy = false;
      if (reached && !killed) {
        killed = true;
        child.kill(signal);
      }
    }, 10);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stderr, killed });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pconv-bench-eval-stream-'));
  // Photos copied, so that a test can damage one; 30 masks per bin and subset: 180 pairs.
  await cp(join(repoRoot, 'data/photos'), join(dir, 'photos'), { recursive: true });
  const smoke = await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8');
  configFile = join(dir, 'stream.yaml');
  await writeFile(
    configFile,
    smoke
      .replace('root: ../data/photos', `root: ${join(dir, 'photos')}`)
      .replace('perBin: 4', 'perBin: 30')
      .replace('dir: ../reports', `dir: ${dir}`),
  );
  reference = join(dir, 'reference');
  const first = await runCli(['run', configFile, '--run', reference, '--backend', 'wasm']);
  expect(first.code, first.stderr).toBe(0);
  expected = await readFile(join(reference, 'results.json'));
  expectedDrilldown = await drilldownFiles(reference);
  expectedSamples = await sampleFiles(reference);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('eval, streamed (end to end)', () => {
  test('every pair keeps its scores in scores/; any worker count, batch size and shard split gives the same results.json, sample pictures, drilldown.json and drill-down pictures', async () => {
    expect(JSON.parse(expected.toString()).images.pairs).toBe(180);
    expect(await scoreLines(reference)).toBe(180);
    expect(await scoreLines(reference, 'telea-opencv-radius-3.jsonl')).toBe(180);
    // 30 pairs per bin and subset: each model's 3 worst and 3 best in every one, with every model's picture of each.
    const drilldown = DrilldownSchema.parse(JSON.parse((expectedDrilldown.get('drilldown.json') as Buffer).toString()));
    expect(drilldown.groups).toHaveLength(6);
    expect(drilldown.groups.every((g) => g.picks.length === 3 && g.picks.every((p) => p.worst.length === 3 && p.best.length === 3))).toBe(true);
    expect(expectedDrilldown.size).toBe(1 + drilldown.pairs.length * (3 + 3 + 1));
    const report = await readFile(join(reference, 'index.html'), 'utf8');
    for (const pair of drilldown.pairs) expect(report).toContain(`<tr id="pair-${String(pair.k).padStart(5, '0')}"`);
    expect(await readFile(join(reference, 'pairs.html'), 'utf8')).toContain('180 (image, mask) pairs');
    for (const [workers, batch] of [
      ['0', '1'],
      ['2', '5'],
      ['1', '16'],
    ]) {
      const run = await unevaluated(`w${workers}-b${batch}`);
      const scored = await runCli(evalArgs(run, '--workers', workers as string, '--batch', batch as string));
      expect(scored.code, scored.stderr).toBe(0);
      expect(scored.stderr).toContain(workers === '0' ? 'scoring on the main thread' : `${workers} scoring threads`);
      await expectReferenceBytes(run, `--workers ${workers} --batch ${batch}`);
    }
    const shards: string[] = [];
    for (const [i, workers] of [
      [0, '2'],
      [1, '0'],
    ] as const) {
      const run = await unevaluated(`shard${i}`);
      const scored = await runCli(evalArgs(run, '--shard', `${i}/2`, '--workers', workers, '--batch', '3'));
      expect(scored.code, scored.stderr).toBe(0);
      expect(await scoreLines(run, `pconv.shard-${i}-of-2.jsonl`)).toBe(90);
      shards.push(run);
    }
    const merged = join(dir, 'merged');
    expect((await runCli(['merge', ...shards, '--out', merged])).code).toBe(0);
    // The shards chose among their own pairs and wrote those pictures; merge chose among all and took them from the shards.
    await expectReferenceBytes(merged, 'merged shards');
    for (const page of ['index.html', 'pairs.html'])
      expect((await readFile(join(merged, page))).equals(await readFile(join(reference, page))), page).toBe(true);
    // The merged folder keeps the per-pair scores: an eval there has nothing left to score.
    expect(await scoreLines(merged)).toBe(180);
  });

  test('kill -9 at several moments, then the same command: the bytes of an uninterrupted evaluation, kept pairs not scored again', async () => {
    const duringDrilldown = async (run: string) => (await readdir(join(run, 'drilldown')).catch(() => [])).length >= 20;
    for (const lines of [0, 4, 60, 150, duringDrilldown]) {
      const run = await unevaluated(`kill-${lines}`);
      const killed = await killAt(run, lines);
      expect(killed.killed, `${lines}: ${killed.stderr}`).toBe(true);
      const kept = await scoreLines(run);
      if (typeof lines === 'number' && lines > 0) expect(kept).toBeGreaterThanOrEqual(lines);
      const resumed = await runCli(evalArgs(run));
      expect(resumed.code, `${lines}: ${resumed.stderr}`).toBe(0);
      if (kept > 0) expect(resumed.stderr).toContain(`PConv: ${Math.min(kept, 180)} of 180 pairs kept from an earlier evaluation`);
      // Killed while making the drill-down's pictures: every pair's scores are kept, and the pairs whose pictures were whole.
      if (typeof lines === 'function') expect(resumed.stderr).toMatch(/eval: drill-down pictures of [1-9]\d* pairs made, of [1-9]\d* reused \(stamps match\)/);
      await expectReferenceBytes(run, `killed at ${lines} lines`);
      expect(await scoreLines(run)).toBe(180);
    }
  });

  test('Ctrl-C stops with exit 130 and says how many pairs are kept; --restart scores everything again, with the same bytes', async () => {
    const run = await unevaluated('ctrl-c');
    const stopped = await killAt(run, 8, 'SIGINT');
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/evaluation interrupted: the scores of \d+ of 180 pairs are kept in .*scores; the same command continues from there/);
    const restarted = await runCli(evalArgs(run, '--restart'));
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).not.toContain('kept from an earlier evaluation');
    await expectReferenceBytes(run, 'Ctrl-C, then --restart');
  });

  test('a drill-down picture gone or damaged: report refuses, naming it; eval makes it again from the kept scores, scoring nothing; the same bytes', async () => {
    const run = join(dir, 'damaged-picture');
    await cp(reference, run, { recursive: true });
    const names = [...expectedDrilldown.keys()].filter((name) => name.endsWith('.png'));
    const [gone, damaged] = [names[3] as string, names[10] as string];
    await rm(join(run, gone));
    await writeFile(join(run, damaged), 'not the picture');
    const refused = await runCli(['report', run]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`drill-down picture ${join(run, gone)} is missing (drilldown.json lists it)`);
    expect(refused.stderr).toContain('hint: Evaluate again: `pconv-bench eval <config>`');
    const again = await runCli(evalArgs(run));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('PConv: 180 of 180 pairs kept from an earlier evaluation');
    expect(again.stderr).toContain(`eval: drill-down pictures of 2 pairs made, of ${(expectedDrilldown.size - 1) / 7 - 2} reused (stamps match)`);
    await expectReferenceBytes(run, 'pictures made again');
    const report = await runCli(['report', run]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`pairs: ${join(run, 'pairs.html')}`);
    for (const page of ['index.html', 'pairs.html']) expect((await readFile(join(run, page))).equals(await readFile(join(reference, page))), page).toBe(true);
  });

  test('a sample picture gone and another edited: report refuses, naming each; eval makes just those again from the kept scores, scoring nothing; the same bytes', async () => {
    const run = join(dir, 'damaged-sample');
    await cp(reference, run, { recursive: true });
    const results = JSON.parse(expected.toString()) as { samples: { input: string; outputs: Record<string, string> }[] };
    // 6 groups x (masked input, ground truth, 3 models), each group's stamp beside its pictures.
    expect(results.samples).toHaveLength(6);
    expect([...expectedSamples.keys()].filter((name) => name.endsWith('/stamp.json'))).toHaveLength(6);
    const gone = results.samples[1]?.outputs.PConv as string;
    const edited = results.samples[4]?.input as string;
    await rm(join(run, gone));
    await writeFile(join(run, edited), 'not the picture');
    const refused = await runCli(['report', run]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`sample image ${join(run, gone)} is missing`);
    expect(refused.stderr).toContain('hint: Evaluate again: `pconv-bench eval <config>`');
    expect(refused.stderr).toContain('only the missing or changed sample pictures are made again');
    // The edited one alone is refused too, by the hash eval recorded beside it.
    await copyFile(join(reference, gone), join(run, gone));
    const changed = await runCli(['report', run]);
    expect(changed.code, changed.stderr).toBe(1);
    expect(changed.stderr).toContain(`sample image ${join(run, edited)} is not the picture eval wrote (its hash in eval-samples/`);
    await rm(join(run, gone));
    // eval is not up to date: it makes the two pictures again, each model run on its pair, and scores nothing.
    const again = await runCli(evalArgs(run));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('PConv: 180 of 180 pairs kept from an earlier evaluation');
    expect(again.stderr).toContain('; 0 to score,');
    expect(again.stderr).toContain(
      'eval: 2 sample pictures made again (missing or not as eval wrote them) by running the models on their 2 pairs; no pair scored again',
    );
    expect(again.stderr).toContain('eval: drill-down pictures of 0 pairs made');
    await expectReferenceBytes(run, 'sample pictures made again');
    const report = await runCli(['report', run]);
    expect(report.code, report.stderr).toBe(0);
    for (const page of ['index.html', 'pairs.html']) expect((await readFile(join(run, page))).equals(await readFile(join(reference, page))), page).toBe(true);
    // Every sample picture made by the re-run path is the bytes the scoring path wrote (Telea's and the models').
    await rm(join(run, 'eval-samples'), { recursive: true });
    const all = await runCli(evalArgs(run));
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toContain('eval: 30 sample pictures made again (missing or not as eval wrote them) by running the models on their 6 pairs');
    await expectReferenceBytes(run, 'every sample picture made again');
  });

  test('run: an interrupted eval stage continues from the kept scores; --from eval scores afresh; both end with the same bytes', async () => {
    const run = await unevaluated('run-stage');
    await rm(join(run, 'stages', 'eval.json'), { force: true });
    await rm(join(run, 'stages', 'report.json'), { force: true });
    expect((await killAt(run, 40)).killed).toBe(true);
    const runArgs = ['run', configFile, '--run', run, '--backend', 'wasm'];
    const resumed = await runCli(runArgs);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv up to date, eval ran, report ran');
    expect(resumed.stderr).toMatch(/PConv: \d+ of 180 pairs kept from an earlier evaluation/);
    await expectReferenceBytes(run, 'run resumed');
    const redone = await runCli([...runArgs, '--from', 'eval']);
    expect(redone.code, redone.stderr).toBe(0);
    expect(redone.stderr).not.toContain('kept from an earlier evaluation');
    await expectReferenceBytes(run, 'run --from eval');
  });

  test('a test image that cannot be decoded: refused before scoring, all of them named; gone bad mid-stream: exit 1 naming it, the scores before it kept; fixed, the same command continues', async () => {
    const config = parseConfig(await readFile(configFile, 'utf8'), configFile, dir);
    const test = splitImages(await listImages(config.data), config.data, config.seed).test;
    // Pair k uses test image k mod n: the last test image first comes up in pair n - 1, again in 2n - 1, ...
    const victim = test[test.length - 1] as string;
    const saved = join(dir, 'saved-photo');
    await copyFile(victim, saved);
    const run = await unevaluated('bad-image');
    // A PNG cut short: its header (and size) reads, its pixels do not.
    const cut = async () => truncate(victim, Math.floor((await stat(victim)).size / 3));
    try {
      await cut();
      const refused = await runCli(evalArgs(run, '--batch', '2', '--workers', '1'));
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(victim);
      expect(await scoreLines(run)).toBeLessThanOrEqual(0);
      await copyFile(saved, victim);
      const failed = await damageWhileScoring(run, 6, cut, '--batch', '2', '--workers', '1');
      expect(failed.damaged).toBe(true);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain(`cannot decode image ${victim}`);
      // Whole batches before the bad pair are kept.
      expect(await scoreLines(run)).toBeGreaterThanOrEqual(6);
    } finally {
      await copyFile(saved, victim);
    }
    const resumed = await runCli(evalArgs(run));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/PConv: \d+ of 180 pairs kept from an earlier evaluation/);
    await expectReferenceBytes(run, 'test image fixed', { stamps: false });
  });

  test('a mask file that does not match its manifest: refused before scoring, naming it; gone bad mid-stream: exit 1 naming it; restored, the same command continues', async () => {
    const run = await unevaluated('bad-mask');
    const manifest = JSON.parse(await readFile(join(run, 'masks', 'manifest.json'), 'utf8')) as { masks: { file: string }[] };
    const mask = join(run, 'masks', manifest.masks[100]?.file as string);
    const saved = await readFile(mask);
    await writeFile(mask, 'not a png');
    const refused = await runCli(evalArgs(run, '--batch', '4'));
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`${mask} does not match its recorded hash`);
    expect(await scoreLines(run)).toBeLessThanOrEqual(0);
    await writeFile(mask, saved);
    const failed = await damageWhileScoring(run, 8, () => writeFile(mask, 'not a png'), '--batch', '4');
    expect(failed.damaged).toBe(true);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toContain(`cannot decode mask ${mask}`);
    expect(await scoreLines(run)).toBeGreaterThanOrEqual(8);
    await writeFile(mask, saved);
    const resumed = await runCli(evalArgs(run));
    expect(resumed.code, resumed.stderr).toBe(0);
    // After the test above restored a photo: its pairs' stamps name its new modification time.
    await expectReferenceBytes(run, 'mask restored', { stamps: false });
  });

  test('--json: progress from the start (test images, then pairs at 0) before the first model loads; every line is a valid event', async () => {
    const run = await unevaluated('json');
    const scored = await runCli([...evalArgs(run), '--json']);
    expect(scored.code, scored.stderr).toBe(0);
    const events = cliEvents(scored.stdout);
    const kinds = events.map((e) => (e.type === 'progress' ? `progress ${e.stage} ${e.done}` : e.type === 'log' ? `log ${e.message.slice(0, 12)}` : e.type));
    const started = kinds.indexOf('stage');
    const firstLoad = kinds.findIndex((k) => k.startsWith('log eval: loadin'));
    expect(kinds.slice(started + 1, firstLoad)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^progress eval test images \d+$/), 'progress eval 0', 'progress eval PConv 0']),
    );
    const last = events.filter((e) => e.type === 'progress' && e.stage === 'eval').at(-1);
    expect(last).toMatchObject({ done: 180, total: 180, unit: 'pairs' });
    const bad = await runCli(evalArgs(run, '--workers', '-1'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--workers -1 is not a whole number of at least 0');
  });
});
