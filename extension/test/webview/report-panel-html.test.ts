import { describe, expect, test } from 'vitest';
import type { Results } from '../../../src/protocol/results.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { reportImagePaths, trainingCurvesFromLogs } from '../../src/webview/report/training-curves.js';
import { webviewCsp } from '../../src/webview/webview-csp.js';

const models = [
  { name: 'PConv', kind: 'pconv', checkpoint: 'checkpoints/pconv/phase2', step: 5 },
  { name: 'baseline', kind: 'conv', checkpoint: 'checkpoints/conv/phase2', step: 5 },
  { name: 'Telea', kind: 'classical', checkpoint: null, step: null },
] as const;

describe('report panel inputs (pure)', () => {
  test('training curves from the logs: train and validation points, torn last line skipped, missing log left out', () => {
    const log = [
      '{"type":"train","step":1,"phase":1,"total":2.5,"hole":1}',
      '{"type":"validation","step":2,"phase":1,"total":2.1}',
      '{"type":"meta","backend":"wasm"}',
      '{"type":"train","step":3,"phase":2,"total":1.9}',
      '{"type":"train","step":4,"pha',
    ].join('\n');
    const curves = trainingCurvesFromLogs({ models } as unknown as Results, { pconv: log });
    expect(curves).toEqual({
      PConv: {
        train: [
          { step: 1, phase: 1, total: 2.5 },
          { step: 3, phase: 2, total: 1.9 },
        ],
        validation: [{ step: 2, phase: 1, total: 2.1 }],
      },
    });
  });

  test('image paths: every sample image once', () => {
    const samples = [
      { input: 'samples/a-in.png', target: 'samples/a-gt.png', outputs: { PConv: 'samples/a-p.png', Telea: 'samples/a-t.png' } },
      { input: 'samples/b-in.png', target: 'samples/a-gt.png', outputs: { PConv: 'samples/b-p.png' } },
    ];
    expect(reportImagePaths({ samples } as unknown as Results)).toEqual([
      'samples/a-in.png',
      'samples/a-gt.png',
      'samples/a-p.png',
      'samples/a-t.png',
      'samples/b-in.png',
      'samples/b-p.png',
    ]);
  });

  test('nonces are fresh and fit the CSP; a weak nonce or a malformed cspSource is refused with the fix', () => {
    const a = makeNonce();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(makeNonce()).not.toBe(a);
    expect(webviewCsp({ cspSource: 'https://x.test', nonce: a })).toContain(`script-src 'nonce-${a}'`);
    expect(() => webviewCsp({ cspSource: 'https://x.test', nonce: 'abc' })).toThrow(/use makeNonce\(\)/);
    expect(() => webviewCsp({ cspSource: "https://x.test; script-src 'unsafe-inline'", nonce: a })).toThrow(/pass webview.cspSource/);
  });
});
