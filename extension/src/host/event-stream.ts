import { StringDecoder } from 'node:string_decoder';
import { type PconvEvent, PconvEventSchema } from '../../../src/protocol/events.js';

/** One line of the CLI's stdout: a valid event, or a line that is not one (kept, never fatal). */
export type StreamItem = { readonly kind: 'event'; readonly event: PconvEvent } | { readonly kind: 'invalid'; readonly line: string; readonly reason: string };

/** A line this long without a newline is not an event of ours; it is reported and dropped so memory stays bounded. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

/** Parses one line of `--json` output. Never throws: a bad line becomes an `invalid` item with the reason. */
export function parseEventLine(line: string): StreamItem {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'invalid', line, reason: 'not JSON' };
  }
  const parsed = PconvEventSchema.safeParse(json);
  if (parsed.success) return { kind: 'event', event: parsed.data };
  const issue = parsed.error.issues[0];
  return { kind: 'invalid', line, reason: `not a pconv-bench event (${issue?.path.join('.') || 'event'}: ${issue?.message})` };
}

/**
 * Splits the CLI's stdout into events as chunks arrive. Chunks end anywhere: inside a line, inside
 * a CRLF, inside a multi-byte UTF-8 character; a StringDecoder keeps the bytes of a split
 * character until the rest comes. Blank lines are skipped.
 */
export class EventLineParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer | string): StreamItem[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const items: StreamItem[] = [];
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      this.take(this.pending.slice(0, newline), items);
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > MAX_LINE_CHARS) {
      items.push({ kind: 'invalid', line: `${this.pending.slice(0, 200)}...`, reason: `a line longer than ${MAX_LINE_CHARS} characters` });
      this.pending = '';
    }
    return items;
  }

  /** The stream ended: a last line without its newline is still parsed (a child killed mid-write leaves one). */
  end(): StreamItem[] {
    this.pending += this.decoder.end();
    const items: StreamItem[] = [];
    this.take(this.pending, items);
    this.pending = '';
    return items;
  }

  private take(raw: string, items: StreamItem[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') items.push(parseEventLine(line));
  }
}
