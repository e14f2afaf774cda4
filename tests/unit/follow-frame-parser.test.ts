import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExitStatus, parseStatusLine } from '../../src/adapters/supervisor/exit-status.js';
import {
  type FollowEvent,
  FollowFrameParser,
  followEvents,
  SupervisorProtocolError,
} from '../../src/adapters/supervisor/follow-frame-parser.js';
import {
  followArgv,
  runDirectory,
  SUPERVISE_SCRIPT,
  SUPERVISE_SCRIPT_FILE_NAME,
  SUPERVISE_SCRIPT_SHA256,
  startArgv,
  superviseArgv,
  superviseScriptPath,
  writeArgv,
} from '../../src/adapters/supervisor/supervise-script.js';

type Frame =
  | { kind: 'stdout' | 'stderr'; data: Uint8Array }
  | { kind: 'heartbeat' }
  | { kind: 'exit'; line: string }
  | { kind: 'lost'; reason: string };

function encode(frames: readonly Frame[]): Buffer {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    switch (frame.kind) {
      case 'stdout':
      case 'stderr':
        parts.push(
          Buffer.from(`${frame.kind === 'stdout' ? 'O' : 'E'} ${frame.data.length}\n`),
          Buffer.from(frame.data),
        );
        break;
      case 'heartbeat':
        parts.push(Buffer.from('H\n'));
        break;
      case 'exit':
        parts.push(Buffer.from(`X ${frame.line}\n`));
        break;
      case 'lost':
        parts.push(Buffer.from(`L ${frame.reason}\n`));
        break;
    }
  }
  return Buffer.concat(parts);
}

function splitAt(buffer: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(buffer.subarray(from, point));
    from = point;
  }
  pieces.push(buffer.subarray(from));
  return pieces;
}

function parseAll(pieces: readonly Uint8Array[]): { events: FollowEvent[]; parser: FollowFrameParser } {
  const parser = new FollowFrameParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return { events, parser };
}

const sample = encode([
  { kind: 'stdout', data: Buffer.from('hello\n') },
  { kind: 'stderr', data: Buffer.from([0, 10, 255, 79, 32, 49, 10]) },
  { kind: 'heartbeat' },
  { kind: 'stdout', data: Buffer.from('E 3\nabc') },
  { kind: 'exit', line: 'code 143' },
]);

describe('FollowFrameParser', () => {
  it('decodes every frame kind', () => {
    const { events, parser } = parseAll([sample]);
    expect(events).toEqual([
      { kind: 'stdout', data: Buffer.from('hello\n') },
      { kind: 'stderr', data: Buffer.from([0, 10, 255, 79, 32, 49, 10]) },
      { kind: 'heartbeat' },
      { kind: 'stdout', data: Buffer.from('E 3\nabc') },
      { kind: 'exit', exitCode: null, signal: 'SIGTERM', reason: null, raw: 'code 143' },
    ]);
    expect(parser.finished).toBe(true);
    expect(parser.end()).toBe(true);
  });

  it('gives the same events for every single split point', () => {
    const whole = parseAll([sample]).events;
    for (let cut = 0; cut <= sample.length; cut++) {
      expect(parseAll([sample.subarray(0, cut), sample.subarray(cut)]).events).toEqual(whole);
    }
    expect(parseAll([...sample].map((byte) => Buffer.of(byte))).events).toEqual(whole);
  });

  it('reports a stream cut in the middle as unfinished', () => {
    const parser = new FollowFrameParser();
    expect(parser.push(Buffer.from('O 5\nab'))).toEqual([]);
    expect(parser.atFrameBoundary).toBe(false);
    expect(parser.end()).toBe(false);
  });

  it('decodes lost frames and exit reasons', () => {
    expect(parseAll([Buffer.from('L waiter-gone\n')]).events).toEqual([
      { kind: 'lost', reason: 'waiter-gone' },
    ]);
    expect(parseAll([Buffer.from('X code 126 no-cwd\n')]).events).toEqual([
      { kind: 'exit', exitCode: 126, signal: null, reason: 'no-cwd', raw: 'code 126 no-cwd' },
    ]);
  });

  it.each([
    ['unknown tag', 'Z 1\n'],
    ['non-numeric length', 'O abc\n'],
    ['negative length', 'E -1\n'],
    ['leading zero', 'O 01\nx'],
    ['carriage return', 'H\r\n'],
    ['bad exit line', 'X exited 3\n'],
    ['bad lost reason', 'L Waiter Gone\n'],
    ['data after the end', 'X code 0\nO 1\n'],
    ['overlong header', 'O '.padEnd(300, '1')],
  ])('rejects %s', (_name, text) => {
    const parser = new FollowFrameParser();
    expect(() => parser.push(Buffer.from(text))).toThrow(SupervisorProtocolError);
    // Once broken, it stays broken: resynchronising inside a byte stream cannot be trusted.
    expect(() => parser.push(Buffer.from('H\n'))).toThrow(SupervisorProtocolError);
  });

  it('bounds the frame size', () => {
    const parser = new FollowFrameParser({ maxFrameBytes: 10 });
    expect(() => parser.push(Buffer.from('O 11\n'))).toThrow(/exceeds/);
  });

  it('reassembles random payloads split at random points', () => {
    const payload = fc.record({
      kind: fc.constantFrom('stdout' as const, 'stderr' as const),
      data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    });
    const frame = fc.oneof({ arbitrary: payload, weight: 5 }, fc.constant({ kind: 'heartbeat' as const }));
    const last = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((code) => ({ kind: 'exit' as const, line: `code ${code}` })),
      fc.constantFrom('waiter-gone', 'no-run-dir').map((reason) => ({ kind: 'lost' as const, reason })),
    );
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 30 }),
        last,
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, end, cuts) => {
          const stream = encode([...frames, end]);
          const { events, parser } = parseAll(splitAt(stream, cuts));
          expect(parser.finished).toBe(true);
          expect(events).toHaveLength(frames.length + 1);
          for (const kind of ['stdout', 'stderr'] as const) {
            const sent = Buffer.concat(frames.flatMap((f) => (f.kind === kind ? [f.data] : [])));
            const got = Buffer.concat(events.flatMap((e) => (e.kind === kind ? [e.data] : [])));
            expect(got.equals(sent)).toBe(true);
          }
          expect(events.map((e) => e.kind)).toEqual([...frames, end].map((f) => f.kind));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('followEvents stops at the final frame and says whether the stream finished', async () => {
    async function* source(chunks: Buffer[]) {
      yield* chunks;
    }
    const full = followEvents(source([sample.subarray(0, 7), sample.subarray(7)]));
    const kinds: string[] = [];
    let result = await full.next();
    while (!result.done) {
      kinds.push(result.value.kind);
      result = await full.next();
    }
    expect(kinds).toEqual(['stdout', 'stderr', 'heartbeat', 'stdout', 'exit']);
    expect(result.value).toEqual({ finished: true });

    const cut = followEvents(source([Buffer.from('O 2\nab'), Buffer.from('O 9\nabc')]));
    expect((await cut.next()).value).toEqual({ kind: 'stdout', data: Buffer.from('ab') });
    expect(await cut.next()).toEqual({ done: true, value: { finished: false } });
  });
});

describe('exit and status lines', () => {
  it.each([
    ['code 0', 0, null],
    ['code 1', 1, null],
    ['code 128', 128, null],
    ['code 130', null, 'SIGINT'],
    ['code 137', null, 'SIGKILL'],
    ['code 143', null, 'SIGTERM'],
    ['code 134', null, 'SIGABRT'],
    ['code 255', 255, null],
  ])('%s', (raw, exitCode, signal) => {
    expect(parseExitStatus(raw)).toEqual({ exitCode, signal, reason: null, raw });
  });

  it('parses every status line', () => {
    expect(parseStatusLine('running 4242\n')).toEqual({ state: 'running', pgid: 4242 });
    expect(parseStatusLine('exited code 127')).toMatchObject({ state: 'exited', exit: { exitCode: 127 } });
    expect(parseStatusLine('starting')).toEqual({ state: 'starting' });
    expect(parseStatusLine('not-started')).toEqual({ state: 'not-started' });
    expect(parseStatusLine('lost waiter-gone')).toEqual({ state: 'lost', reason: 'waiter-gone' });
    for (const bad of ['', 'running', 'running -1', 'exited 3', 'lost', 'code 300', 'code 0 Bad']) {
      expect(() => parseStatusLine(bad)).toThrow(SupervisorProtocolError);
    }
    expect(() => parseExitStatus('code 999')).toThrow(SupervisorProtocolError);
  });
});

describe('supervise script argv', () => {
  it('exposes the script and its hash', () => {
    expect(SUPERVISE_SCRIPT).toContain('follow)');
    expect(SUPERVISE_SCRIPT_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(SUPERVISE_SCRIPT_FILE_NAME).toBe(`supervise-${SUPERVISE_SCRIPT_SHA256.slice(0, 16)}.sh`);
    expect(superviseScriptPath('/ws')).toBe(`/ws/.rdev/bin/${SUPERVISE_SCRIPT_FILE_NAME}`);
    expect(runDirectory('/ws', 'cmd_1')).toBe('/ws/.rdev/runs/cmd_1');
    expect(() => runDirectory('/ws', '../x')).toThrow(RangeError);
  });

  it('passes user values as separate arguments', () => {
    expect(startArgv('/s.sh', '/r', '/w', ['printf', '%s', '$(id)'])).toEqual([
      'sh',
      '/s.sh',
      'start',
      '/r',
      '/w',
      'printf',
      '%s',
      '$(id)',
    ]);
    expect(superviseArgv('/s.sh', 'status', '/r')).toEqual(['sh', '/s.sh', 'status', '/r']);
    expect(followArgv('/s.sh', '/r', 5, 7)).toEqual(['sh', '/s.sh', 'follow', '/r', '5', '7']);
    expect(followArgv('/s.sh', '/r', 0, 0, { heartbeatSeconds: 1 })).toEqual([
      'sh',
      '/s.sh',
      'follow',
      '/r',
      '0',
      '0',
      '65536',
      '1',
    ]);
    expect(() => startArgv('/s.sh', '/r', '/w', [])).toThrow(RangeError);
    expect(() => startArgv('/s.sh', 'r', '/w', ['x'])).toThrow(RangeError);
    expect(() => startArgv('/s.sh', '/r', '/w', ['a\0b'])).toThrow(RangeError);
    expect(() => writeArgv('/s.sh', '/p', -1)).toThrow(RangeError);
    expect(() => followArgv('/s.sh', '/r', 1.5, 0)).toThrow(RangeError);
  });
});
