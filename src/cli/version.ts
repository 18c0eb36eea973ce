import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in package.json (two folders above this file, in src/ and in dist/ alike). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      cached = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}

/** The versions a run records: this tool, TensorFlow.js (loaded here, so only commands that use it call this) and Node. */
export async function toolVersions(): Promise<Record<string, string>> {
  const tf = await import('@tensorflow/tfjs');
  return { 'pconv-bench': packageVersion(), tfjs: tf.version.tfjs, node: process.version };
}
