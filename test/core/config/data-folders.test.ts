import { describe, expect, test } from 'vitest';
import { trainingConfigHash } from '../../../src/core/config/config-hash.js';
import { experimentJsonSchema } from '../../../src/core/config/json-schema.js';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { ExperimentConfigSchema } from '../../../src/core/config/schema.js';
import { sha256Of, stableStringify } from '../../../src/core/io/stable-json.js';
import { problemsOf } from '../../helpers/config-problems.js';

/** A config whose data section is `data` (indented lines under `data:`). */
const withData = (data: string) => `name: t\ndata:\n${data}\n  imageSize: 32\nmodel:\n  levels: 3\nloss:\n  perceptual: 0\n  style: 0\n`;

describe('data: one root, or a folder per split (issue 17)', () => {
  test('the folder form: paths resolved against the config folder, include and exclude inherited unless a folder has its own', () => {
    const config = parseConfig(
      withData(
        '  train: places2/train\n  validation: { dir: places2/val-small, exclude: ["**/bad/**"] }\n  test: { dir: /data/places2/val, include: ["*.jpg"] }\n  exclude: ["**/tmp/**"]',
      ),
      'exp.yaml',
      '/base',
    );
    expect(config.data).toEqual({
      train: { dir: '/base/places2/train', include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'], exclude: ['**/tmp/**'] },
      validation: { dir: '/base/places2/val-small', include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'], exclude: ['**/bad/**'] },
      test: { dir: '/data/places2/val', include: ['*.jpg'], exclude: ['**/tmp/**'] },
      include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'],
      exclude: ['**/tmp/**'],
      imageSize: 32,
    });
  });

  test('without a validation folder, validationFraction (default 0.05) of the train folder validates; testFraction has no value', () => {
    const data = parseConfig(withData('  train: a\n  test: b'), 'exp.yaml', '/base').data;
    expect(data.validation).toBeUndefined();
    expect(data.validationFraction).toBe(0.05);
    expect(data.testFraction).toBeUndefined();
    expect('testFraction' in data).toBe(false);
    expect(parseConfig(withData('  train: a\n  test: b\n  validationFraction: 0'), 'exp.yaml', '/base').data.validationFraction).toBe(0);
  });

  test('the root form comes out as before: both fractions filled in, no folder keys', () => {
    const data = parseConfig(withData('  root: photos'), 'exp.yaml', '/base').data;
    expect(data).toEqual({
      root: '/base/photos',
      include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'],
      exclude: [],
      imageSize: 32,
      testFraction: 0.1,
      validationFraction: 0.05,
    });
    expect(Object.keys(data)).toEqual(['root', 'include', 'exclude', 'imageSize', 'testFraction', 'validationFraction']);
  });

  test('a resolved config parses again to itself (checkpoints keep it and inpaint reads it back)', () => {
    for (const data of ['  root: photos', '  train: a\n  test: b', '  train: a\n  validation: v\n  test: { dir: b, exclude: ["x*"] }']) {
      const config = parseConfig(withData(data), 'exp.yaml', '/base');
      expect(ExperimentConfigSchema.parse(JSON.parse(JSON.stringify(config))).data).toEqual(config.data);
    }
  });

  test('both forms, neither, or half of the folder form are errors at their key', () => {
    expect(problemsOf(withData('  root: photos\n  train: a\n  test: b'))).toEqual([
      'exp.yaml:4:10 data.train: give either data.root (one folder, split by data.testFraction and data.validationFraction) or the split folders, not both (this config has data.root and data.train, data.test)',
    ]);
    expect(problemsOf(withData('  include: ["*.png"]'))).toEqual([
      'exp.yaml:2:1 data.root: required key is missing: set data.root (one folder, split by fractions) or data.train and data.test (a folder per split)',
    ]);
    expect(problemsOf(withData('  train: a'))).toEqual([
      'exp.yaml:2:1 data.test: required key is missing: split folders need data.train and data.test (data.validation is optional)',
    ]);
    expect(problemsOf(withData('  validation: v\n  test: b'))).toEqual([
      'exp.yaml:2:1 data.train: required key is missing: split folders need data.train and data.test (data.validation is optional)',
    ]);
  });

  test('fractions that the folders make meaningless are errors', () => {
    expect(problemsOf(withData('  train: a\n  test: b\n  testFraction: 0.2'))).toEqual([
      'exp.yaml:5:17 data.testFraction: only with data.root: with split folders the test images are those in data.test',
    ]);
    expect(problemsOf(withData('  train: a\n  validation: v\n  test: b\n  validationFraction: 0.1'))).toEqual([
      'exp.yaml:6:23 data.validationFraction: not with data.validation: the validation images are those in that folder (leave data.validation out to hold out this share of data.train)',
    ]);
    // The root form's rule still holds, with the defaults counted.
    expect(problemsOf(withData('  root: photos\n  testFraction: 0.96'))).toEqual([
      'exp.yaml:2:1 data.validationFraction: data.testFraction + data.validationFraction must leave images for training (sum below 1)',
    ]);
  });

  test('a split folder is a non-empty path or { dir, include, exclude }, nothing else', () => {
    expect(problemsOf(withData('  train: { dir: a, files: 3 }\n  test: b'))).toEqual([
      'exp.yaml:3:20 data.train.files: unknown key (check its spelling and section)',
    ]);
    expect(problemsOf(withData('  train: { include: ["*"] }\n  test: ""'))).toEqual([
      'exp.yaml:3:10 data.train: expected the path of a folder, or { dir, include, exclude } with dir set',
      'exp.yaml:4:9 data.test: Too small: expected string to have >=1 characters',
    ]);
  });

  test('the training hash leaves out where the folders are, not which images they hold', () => {
    const hash = (data: string) => trainingConfigHash(parseConfig(withData(data), 'exp.yaml', '/base'));
    expect(hash('  train: a\n  test: b')).toBe(hash('  train: /elsewhere/a2\n  test: /elsewhere/b2'));
    expect(hash('  train: a\n  validation: v\n  test: b')).toBe(hash('  train: x\n  validation: y\n  test: z'));
    expect(hash('  train: a\n  test: b')).not.toBe(hash('  train: { dir: a, include: ["*.png"] }\n  test: b'));
    expect(hash('  train: a\n  test: b')).not.toBe(hash('  train: a\n  validation: v\n  test: b'));
    // The root form hashes as it always has: the config without data.root.
    const config = parseConfig(withData('  root: photos'), 'exp.yaml', '/base');
    const { description: _d, output: _o, data, ...rest } = config;
    const { root: _r, ...dataRest } = data;
    expect(trainingConfigHash(config)).toBe(sha256Of(stableStringify({ ...rest, data: dataRest })));
  });

  test('the JSON Schema offers both forms: root optional, each folder a path or an object', () => {
    const data = (experimentJsonSchema().properties as Record<string, Record<string, unknown>>).data as Record<string, unknown>;
    expect(data.required).toEqual(['imageSize']);
    const properties = data.properties as Record<string, Record<string, unknown>>;
    expect(properties.testFraction?.default).toBe(0.1);
    expect(properties.validationFraction?.default).toBe(0.05);
    for (const key of ['train', 'validation', 'test']) {
      const variants = properties[key]?.anyOf as Record<string, unknown>[];
      expect(variants.map((v) => v.type)).toEqual(['string', 'object']);
      expect(Object.keys(variants[1]?.properties as object)).toEqual(['dir', 'include', 'exclude']);
    }
  });
});
