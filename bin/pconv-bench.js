#!/usr/bin/env node
// Entry point of the pconv-bench command. The TypeScript sources are compiled to dist/ by
// `npm install` / `npm ci` (the "prepare" script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: pconv-bench is not built (dist/ is missing)\nhint: run `npm ci` or `npm run build` in the pconv-bench folder.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
