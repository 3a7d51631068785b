// Drives the server with autocannon from this (the driver) process: one run per call, with a
// per-request bearer token when the scenario rotates buyers, and the error code of every non-2xx
// answer read from its body so a 409 SOLD_OUT is told apart from any other 409.
import autocannon from 'autocannon';
import { groupBy } from '../src/platform/collections.js';

export interface LoadSpec {
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Called once per request: the bearer token it carries (rotates buyers across requests). */
  nextToken?: () => string;
  /** Run for this long... */
  durationSeconds?: number;
  /** ...or send exactly this many requests. */
  amount?: number;
  onTick?: (progress: { elapsedSeconds: number; lastSecond: number; total: number }) => void;
  /** Time every answer, to report latency and timing per HTTP status (see AnswerTiming). */
  timeAnswers?: boolean;
}

/** Latency of the answers with one HTTP status, and when the first and the last of them came. */
export interface AnswerTiming {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Milliseconds from the start of the run. */
  firstAtMs: number;
  lastAtMs: number;
}

export interface LoadResult {
  seconds: number;
  responses: number;
  rps: number;
  ok: number;
  okPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** Non-2xx responses by status and error code, e.g. "409 SOLD_OUT". */
  errorCodes: Record<string, number>;
  non2xx: number;
  /** Socket errors and timeouts (no HTTP answer at all). */
  connectionErrors: number;
  timeouts: number;
  /** By HTTP status, when the spec asked for timeAnswers. */
  answerTiming?: Record<string, AnswerTiming>;
}

function errorCodeOf(status: number, body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return `${status} ${typeof code === 'string' ? code : 'NO_ERROR_CODE'}`;
  } catch {
    return `${status} NOT_JSON`;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** One timed answer; `atMs` counts from the start of the run. */
type Answer = [status: number, latencyMs: number, atMs: number];

/** The answers, in the order they came, grouped by status and summarised (nearest-rank p50/p99). */
function summariseAnswers(answers: Answer[]): Record<string, AnswerTiming> {
  const out: Record<string, AnswerTiming> = {};
  for (const [status, list] of groupBy(answers, (a) => a[0])) {
    const latencies = list.map((a) => a[1]).sort((x, y) => x - y);
    const at = (q: number) => latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] as number;
    out[String(status)] = {
      count: list.length,
      p50: round(at(0.5)),
      p99: round(at(0.99)),
      max: round(latencies.at(-1) as number),
      // In arrival order: the first and the last of each group are its earliest and latest.
      firstAtMs: Math.round((list[0] as Answer)[2]),
      lastAtMs: Math.round((list.at(-1) as Answer)[2]),
    };
  }
  return out;
}

export function runLoad(baseUrl: string, spec: LoadSpec): Promise<LoadResult> {
  const errorCodes: Record<string, number> = {};
  const onResponse = (status: number, body: string) => {
    if (status < 300) return;
    const key = errorCodeOf(status, body);
    errorCodes[key] = (errorCodes[key] ?? 0) + 1;
  };
  const nextToken = spec.nextToken;
  const request: autocannon.Request = nextToken
    ? {
        onResponse,
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${nextToken()}` },
        }),
      }
    : { onResponse };

  return new Promise((resolve, reject) => {
    const started = performance.now();
    let total = 0;
    const answers: Answer[] = [];
    const instance = autocannon(
      {
        url: `${baseUrl}${spec.path}`,
        connections: spec.connections,
        ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSeconds ?? 10 }),
        method: spec.method,
        headers: spec.body === undefined ? {} : { 'content-type': 'application/json' },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        requests: [request],
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = result.duration;
        const statuses: Record<string, number> = {};
        for (const [status, stat] of Object.entries(result.statusCodeStats ?? {}))
          statuses[status] = stat.count ?? 0;
        const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
        const ok = result['2xx'];
        resolve({
          seconds,
          responses,
          rps: responses / seconds,
          ok,
          okPerSecond: ok / seconds,
          latencyMs: {
            mean: result.latency.mean,
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
          },
          statuses,
          errorCodes,
          non2xx: result.non2xx,
          connectionErrors: result.errors - result.timeouts,
          timeouts: result.timeouts,
          ...(spec.timeAnswers ? { answerTiming: summariseAnswers(answers) } : {}),
        });
      },
    );
    if (spec.timeAnswers) {
      instance.on('response', (_client, status: number, _bytes: number, latencyMs: number) => {
        answers.push([status, latencyMs, performance.now() - started]);
      });
    }
    instance.on('tick', (counter?: { counter: number }) => {
      const lastSecond = counter?.counter ?? 0;
      total += lastSecond;
      spec.onTick?.({ elapsedSeconds: (performance.now() - started) / 1000, lastSecond, total });
    });
  });
}
