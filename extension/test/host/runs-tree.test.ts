import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { RUN_STAGES, RunRecordSchema, runLayout, StageMarkerSchema } from '../../../src/protocol/run-layout.js';
import { checkpointChoices } from '../../src/host/checkpoint-choices.js';
import type { RunInfo } from '../../src/host/runs-model.js';
import { assertCliBuilt, realCli, useTempDirs } from './helpers/real-cli.js';
import { activateBuilt, extensionDir, type StandIn, vscodeStandIn } from './helpers/vscode-stand-in.js';

const tempDir = useTempDirs();

type Tree = NonNullable<ReturnType<StandIn['trees']['get']>>;
/** Each row of the Runs view, indented by depth, as "label — description" (runs collapsed, so their stages are not listed). */
function rows(tree: Tree, node?: unknown, depth = 0): string[] {
  return tree.getChildren(node).flatMap((child) => {
    const item = tree.getTreeItem(child);
    const line = `${'  '.repeat(depth)}${item.label} \u2014 ${item.description}`;
    return item.collapsibleState === 2 ? [line, ...rows(tree, child, depth + 1)] : [line];
  });
}

/** What `pconv-bench masks <config> --out <dir>` leaves: the mask set, its marker, the resolved config and run.json. */
async function masksOnly(dir: string, smoke: string): Promise<void> {
  const from = runLayout(smoke);
  const to = runLayout(dir);
  await cp(from.masksDir, to.masksDir, { recursive: true });
  await mkdir(to.stagesDir, { recursive: true });
  const marker = StageMarkerSchema.parse(JSON.parse(await readFile(from.stageMarker('masks'), 'utf8')));
  await writeFile(to.stageMarker('masks'), `${JSON.stringify({ ...marker, command: 'masks' })}\n`);
  await cp(from.resolvedConfig, to.resolvedConfig);
  const record = RunRecordSchema.parse({
    command: 'masks',
    config: 'configs/smoke.yaml',
    seed: 1,
    versions: { 'pconv-bench': '0.1.0', node: process.version },
    backend: null,
    stages: RUN_STAGES.map((stage) => ({ stage, status: stage === 'masks' ? 'ran' : 'not asked' })),
    outcome: { status: 'finished' },
    startedAt: new Date(Date.now() - 1_000).toISOString(),
    finishedAt: new Date().toISOString(),
  });
  await writeFile(to.record, `${JSON.stringify(record, null, 1)}\n`);
}

let alpha: string;
let beta: string;
let standIn: StandIn;

beforeAll(async () => {
  assertCliBuilt();
  const root = await tempDir();
  alpha = join(root, 'alpha');
  beta = join(root, 'beta');
  const smoke = inject('smokeRun');
  // alpha: a finished run in reports/. beta: its reports folder set to out/, with a `masks` run and a failed one.
  await cp(smoke, join(alpha, 'reports', 'smoke'), { recursive: true });
  await masksOnly(join(beta, 'out', 'masks-first'), smoke);
  await mkdir(join(beta, 'out', 'early'), { recursive: true });
  await writeFile(
    runLayout(join(beta, 'out', 'early')).record,
    JSON.stringify(
      RunRecordSchema.parse({
        command: 'eval',
        config: 'configs/smoke.yaml',
        seed: 1,
        versions: {},
        backend: null,
        stages: [],
        outcome: { status: 'failed', error: { code: 'MASKS_MISSING', message: `there is no test mask set in ${join(beta, 'out', 'early', 'masks')}` } },
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
      }),
    ),
  );
  standIn = vscodeStandIn({ workspaces: [alpha, beta], settings: { cliPath: realCli }, folderSettings: { [beta]: { reportsDir: 'out' } } });
  activateBuilt(standIn, extensionDir);
});

describe('the Runs view in a workspace of several folders (issue 19)', () => {
  test('lists the runs of every workspace folder, under a group per folder, each from its own reports folder', async () => {
    await (standIn.commands.get('pconvBench.refreshRuns') as () => Promise<void>)();
    const tree = standIn.trees.get('pconvBench.runs') as Tree;
    const lines = rows(tree);
    expect(lines.map((l) => l.replace(/PSNR .*$/, 'PSNR ...'))).toEqual([
      'alpha \u2014 1 run',
      '  smoke \u2014 finished \u00b7 PSNR ...',
      'beta \u2014 2 runs',
      '  early \u2014 failed: MASKS_MISSING \u00b7 0/5 stages',
      '  masks-first \u2014 masks done \u00b7 1/5 stages',
    ]);
    const [alphaNode, betaNode] = tree.getChildren();
    expect(tree.getTreeItem(betaNode)).toMatchObject({ tooltip: `beta: the runs under ${join(beta, 'out')}`, contextValue: 'workspaceFolder' });
    const [early] = tree.getChildren(betaNode);
    const earlyItem = tree.getTreeItem(early);
    expect(earlyItem).toMatchObject({ id: join(beta, 'out', 'early'), contextValue: 'run' });
    expect(String(earlyItem.tooltip)).toContain(`there is no test mask set in ${join(beta, 'out', 'early', 'masks')}`);
    // A run's rows carry its workspace folder (pickers and checkpoint choices name it).
    const [smokeNode] = tree.getChildren(alphaNode);
    const smoke = (smokeNode as { run: RunInfo }).run;
    expect(smoke.workspaceFolder).toBe('alpha');
    expect(checkpointChoices([smoke])[0]?.choice.label).toBe('alpha: smoke / pconv / phase2 (step 30)');
  });
});
