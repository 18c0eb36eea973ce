import { describe, expect, test } from 'vitest';
import { EventLineParser, parseEventLine, type StreamItem } from '../../src/host/event-stream.js';

const line = (fields: Record<string, unknown>) => `${JSON.stringify({ v: 1, time: '2026-11-25T20:00:00.000Z', ...fields })}\n`;
const progress = line({ type: 'progress', stage: 'train-pconv-phase1', done: 3, total: 20, unit: 'steps', ratePerSecond: 4.1 });
const end = line({ type: 'end', exitCode: 0, durationSeconds: 1.5 });

function types(items: StreamItem[]): string[] {
  return items.map((item) => (item.kind === 'event' ? item.event.type : `invalid:${item.reason}`));
}

describe('parseEventLine', () => {
  test('accepts every event of the protocol and keeps its fields', () => {
    const item = parseEventLine(progress.trim());
    expect(item).toEqual({ kind: 'event', event: JSON.parse(progress) });
  });

  test.each([
    ['plain text', 'Loading model...', 'not JSON'],
    ['a JSON value that is no event', '[1,2]', 'not a pconv-bench event'],
    ['an unknown event type', line({ type: 'bogus' }).trim(), 'not a pconv-bench event (type:'],
    ['a progress event missing fields', '{"v":1,"time":"2026-11-25T20:00:00.000Z","type":"progress","stage":"x"}', 'not a pconv-bench event (done:'],
    ['another protocol version', line({ type: 'end', exitCode: 0, durationSeconds: 1 }).replace('"v":1', '"v":2').trim(), 'not a pconv-bench event (v:'],
  ])('reports %s as invalid with the reason', (_name, text, reason) => {
    const item = parseEventLine(text);
    expect(item.kind).toBe('invalid');
    expect(item.kind === 'invalid' && item.reason).toContain(reason);
  });
});

describe('EventLineParser', () => {
  test('joins a line split across chunks at every possible byte', () => {
    const bytes = Buffer.from(progress + end);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new EventLineParser();
      const items = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut)), ...parser.end()];
      expect(types(items), `cut at ${cut}`).toEqual(['progress', 'end']);
    }
  });

  test('keeps a multi-byte character split between chunks', () => {
    const text = Buffer.from(line({ type: 'log', level: 'info', message: 'PSNR \u2014 29.5 dB, \u00b5 \u{1F600}' }));
    const parser = new EventLineParser();
    const cut = text.indexOf(0xf0) + 2;
    const items = [...parser.push(text.subarray(0, cut)), ...parser.push(text.subarray(cut))];
    expect(items).toHaveLength(1);
    expect(items[0]?.kind === 'event' && items[0].event.type === 'log' && items[0].event.message).toBe('PSNR \u2014 29.5 dB, \u00b5 \u{1F600}');
  });

  test('handles CRLF line ends (also with the CR and LF in different chunks) and skips blank lines', () => {
    const parser = new EventLineParser();
    const crlf = progress.replace('\n', '\r\n');
    const items = [...parser.push(crlf.slice(0, -1)), ...parser.push(`\n\r\n\n${end}`)];
    expect(types(items)).toEqual(['progress', 'end']);
  });

  test('reports a non-JSON line between events and goes on', () => {
    const parser = new EventLineParser();
    expect(types(parser.push(`${progress}warning: something from a dependency\n${end}`))).toEqual(['progress', 'invalid:not JSON', 'end']);
  });

  test('parses a last line without newline at the end of the stream, and reports a torn one', () => {
    const whole = new EventLineParser();
    expect(whole.push(end.trim())).toEqual([]);
    expect(types(whole.end())).toEqual(['end']);
    const torn = new EventLineParser();
    torn.push(progress.slice(0, 30));
    const items = torn.end();
    expect(types(items)).toEqual(['invalid:not JSON']);
    expect(items[0]?.kind === 'invalid' && items[0].line).toBe(progress.slice(0, 30));
  });
});
