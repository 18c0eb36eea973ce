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
