import { describe, expect, test } from 'vitest';
import { parseInpaintToHost, parseInpaintToWebview, parseReportToHost, parseReportToWebview } from '../../src/shared/messages.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==';

describe('messages between host and webviews', () => {
  test.each([
    [
      'init with a data: image',
      parseInpaintToWebview,
      { type: 'init', image: { uri: PNG, width: 1, height: 1, name: 'a.png' }, checkpoints: [{ id: 'c', label: 'C' }] },
    ],
    [
      'init with a webview URI',
      parseInpaintToWebview,
      {
        type: 'init',
        image: { uri: 'https://file+.vscode-resource.vscode-cdn.net/x.png', width: 640, height: 480, name: 'x.png' },
        checkpoints: [],
        selectedCheckpoint: 'c',
      },
    ],
    ['progress', parseInpaintToWebview, { type: 'progress', message: 'tiles', done: 1, total: 4 }],
    ['result', parseInpaintToWebview, { type: 'result', resultUri: PNG, checkpoint: 'c' }],
    ['error with hint', parseInpaintToWebview, { type: 'error', message: 'm', hint: 'h' }],
    ['run', parseInpaintToHost, { type: 'run', maskPngDataUri: PNG, width: 1, height: 1, checkpoint: 'c' }],
    ['save', parseInpaintToHost, { type: 'save' }],
    ['report ready', parseReportToHost, { type: 'ready', charts: 6 }],
    ['open the table of every pair', parseReportToHost, { type: 'openPairsPage' }],
    ['reveal', parseReportToWebview, { type: 'reveal', section: 'samples' }],
  ] as const)('accepts %s', (_name, parse, message) => {
    expect(parse(message)).toEqual({ ok: true, message });
  });

  test.each([
    [
      'a JPEG posted as the mask',
      parseInpaintToHost,
      { type: 'run', maskPngDataUri: 'data:image/jpeg;base64,AAAA', width: 1, height: 1, checkpoint: 'c' },
      'invalid message of type "run": maskPngDataUri: expected a data:image/png;base64,... URI',
    ],
    [
      'a mask of size 0',
      parseInpaintToHost,
      { type: 'run', maskPngDataUri: PNG, width: 0, height: 1, checkpoint: 'c' },
      'invalid message of type "run": width: Too small: expected number to be >=1',
    ],
    ['an unknown field', parseInpaintToHost, { type: 'save', path: '/etc/passwd' }, 'invalid message of type "save": (message): Unrecognized key: "path"'],
    [
      'a file: image',
      parseInpaintToWebview,
      { type: 'result', resultUri: 'file:///tmp/x.png', checkpoint: 'c' },
      'invalid message of type "result": resultUri: expected a data:image/... URI or a webview URI',
    ],
    [
      'a checkpoint without label',
      parseInpaintToWebview,
      { type: 'init', image: { uri: PNG, width: 1, height: 1, name: 'a' }, checkpoints: [{ id: 'c' }] },
      'checkpoints.0.label: ',
    ],
    ['an unknown type', parseReportToHost, { type: 'open', file: 'x' }, 'invalid message of type "open": type: '],
    [
      'a page the webview names',
      parseReportToHost,
      { type: 'openPairsPage', file: '/etc/passwd' },
      'invalid message of type "openPairsPage": (message): Unrecognized key: "file"',
    ],
    ['not an object', parseReportToWebview, null, 'invalid message: (message): '],
  ] as const)('rejects %s with the key and the problem', (_name, parse, message, error) => {
    const parsed = parse(message);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(error);
  });
});
