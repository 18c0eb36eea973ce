import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/core/config/config-error.js';
import { parseConfig } from '../../../src/core/config/parse-config.js';

/** The problems of a config text, one `file:line:col path: message` line each, and the hint. */
function problemsOf(text: string): { details: string[]; hint: string | undefined } {
  try {
    parseConfig(text, 'exp.yaml', '/base');
  } catch (error) {
    if (error instanceof ConfigError) return { details: [...error.details], hint: error.hint };
    throw error;
  }
  return { details: [], hint: undefined };
}

const config = (imageSize: string, extra = '') =>
  `name: t\ndata:\n  root: photos\n  imageSize: ${imageSize}\nmasks:\n  border:\n    margin: 2\nmodel:\n  levels: 3\nloss:\n  perceptual: 0\n  style: 0\n${extra}`;

describe('config messages (issue 16, fault 8)', () => {
  test.each([
    ['-32', 'Too small: expected number to be >=8'],
    ['0', 'Too small: expected number to be >=8'],
    ['4', 'Too small: expected number to be >=8'],
    ['8192', 'Too big: expected number to be <=4096'],
  ])('imageSize %s reports only its own problem, not a margin "below" a negative number', (size, message) => {
    expect(problemsOf(config(size)).details).toEqual([`exp.yaml:4:14 data.imageSize: ${message}`]);
  });

  test('a rule across keys still applies when each key is valid on its own', () => {
    expect(problemsOf(config('36')).details).toEqual([
      'exp.yaml:4:14 data.imageSize: must be a multiple of 2^model.levels = 8 (model.levels is 3); lower model.levels or change the size',
    ]);
    expect(problemsOf(config('32').replace('margin: 2', 'margin: 16')).details).toEqual([
      'exp.yaml:7:13 masks.border.margin: a 16px frame leaves nothing inside a 32px image; use a margin below 16',
    ]);
  });

  test('an invalid model.levels or fraction is reported once', () => {
    expect(problemsOf(config('32').replace('levels: 3', 'levels: 12')).details).toEqual(['exp.yaml:9:11 model.levels: Too big: expected number to be <=8']);
    expect(problemsOf(config('32').replace('root: photos', 'root: photos\n  testFraction: 1.5')).details).toEqual([
      'exp.yaml:4:17 data.testFraction: Too big: expected number to be <1',
    ]);
  });

  test('a YAML alias bomb ("billion laughs") is a config problem, not a crash', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = 'a';
    for (const name of 'bcdefghi') {
      bomb += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`;
      previous = name;
    }
    const { details, hint } = problemsOf(`${bomb}${config('32')}description: *i\n`);
    expect(details).toEqual(['exp.yaml:2:8: YAML aliases expand to too much data (73 aliases that repeat one another, like a "billion laughs" file)']);
    expect(hint).toContain('Write the values out');
  });

  test('an alias without its anchor names the alias and where it is', () => {
    const { details, hint } = problemsOf(`${config('32')}description: *nope\n`);
    expect(details).toEqual(['exp.yaml:13:14: YAML alias *nope has no anchor &nope before it']);
    expect(hint).toBe('Set the anchor &nope on a value above the alias, or write the value out.');
  });

  test('ordinary anchors and aliases still work', () => {
    const parsed = parseConfig(config('32').replace('root: photos', 'root: &root photos'), 'exp.yaml', '/base');
    expect(parseConfig(`${config('32').replace('root: photos', 'root: &root photos')}description: *root\n`, 'exp.yaml', '/base').description).toBe('photos');
    expect(parsed.data.imageSize).toBe(32);
  });
});
