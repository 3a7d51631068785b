// Drives the server with autocannon from this (the driver) process: one run per call, with a
// per-request bearer token when the scenario rotates buyers, and the error code of every non-2xx
// answer read from its body so a 409 SOLD_OUT is told apart from any other 409.
import autocannon from 'autocannon';
import { groupBy } from '../src/platform/collections.js';
import { nearestRank } from './stats.js';

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
  /**
   * Open every connection with one `GET` of this path before its measured requests (needs
   * `amount` and `timeAnswers`). The opening answers are left out of every figure: req/s,
   * statuses, latency. Without it autocannon starts the clock of each connection's first request
   * when it builds it, and it builds all of them in one synchronous loop before any can connect:
   * at 1,000 connections that loop and the connects took ~200 ms, counted as the first
   * requests' latency (docs/performance.md, "Measuring a rush").
   */
  openWith?: string;
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
  /**
   * Every measured answer's latency (ms), in arrival order, when the spec opened its connections
   * first: for percentiles over several runs. Kept out of the JSON record (it is large).
   */
  latenciesMs?: number[];
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

/** Nearest-rank percentiles of some latencies. */
export function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((x, y) => x - y);
  const at = (q: number) => round(nearestRank(sorted, q));
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted.at(-1) ?? 0) };
}

/** The answers, in the order they came, grouped by status and summarised (nearest-rank p50/p99). */
function summariseAnswers(answers: Answer[]): Record<string, AnswerTiming> {
  const out: Record<string, AnswerTiming> = {};
  for (const [status, list] of groupBy(answers, (a) => a[0])) {
    const { p50, p99, max } = percentiles(list.map((a) => a[1]));
    out[String(status)] = {
      count: list.length,
      p50,
      p99,
      max,
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
  const opening = openingPlan(spec);
  const requests = opening
    ? [
        { method: 'GET' as const, path: opening.path, body: Buffer.alloc(0), headers: {} },
        ...Array.from({ length: opening.perConnection }, () => request),
      ]
    : [request];

  return new Promise((resolve, reject) => {
    const started = performance.now();
    let total = 0;
    const answers: Answer[] = [];
    const opened = new Set<unknown>();
    const instance = autocannon(
      {
        url: `${baseUrl}${spec.path}`,
        connections: spec.connections,
        ...(spec.amount
          ? { amount: spec.amount + (opening ? spec.connections : 0) }
          : { duration: spec.durationSeconds ?? 10 }),
        method: spec.method,
        headers: spec.body === undefined ? {} : { 'content-type': 'application/json' },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        requests,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const statuses: Record<string, number> = {};
        for (const [status, stat] of Object.entries(result.statusCodeStats ?? {}))
          statuses[status] = stat.count ?? 0;
        const connectionErrors = result.errors - result.timeouts;
        const common = {
          statuses,
          errorCodes,
          non2xx: result.non2xx,
          connectionErrors,
          timeouts: result.timeouts,
          ...(spec.timeAnswers ? { answerTiming: summariseAnswers(answers) } : {}),
        };
        if (opening) {
          // Every figure from the measured answers alone: the opening GETs are not part of them.
          const openedOk = statuses['200'] ?? 0;
          if (openedOk <= opened.size) delete statuses['200'];
          else statuses['200'] = openedOk - opened.size;
          const firstSent = answers.reduce((min, a) => Math.min(min, a[2] - a[1]), Number.POSITIVE_INFINITY);
          const seconds = Math.max(0.001, ((answers.at(-1)?.[2] ?? firstSent) - firstSent) / 1000);
          const ok = answers.filter((a) => a[0] < 300).length;
          const latencies = answers.map((a) => a[1]);
          resolve({
            ...common,
            seconds,
            responses: answers.length,
            rps: answers.length / seconds,
            ok,
            okPerSecond: ok / seconds,
            latencyMs: {
              mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
              ...percentiles(latencies),
            },
            latenciesMs: latencies,
          });
          return;
        }
        const seconds = result.duration;
        const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
        const ok = result['2xx'];
        resolve({
          ...common,
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
        });
      },
    );
    if (spec.timeAnswers) {
      instance.on('response', (client, status: number, _bytes: number, latencyMs: number) => {
        // A connection's first answer is its opening GET when the spec opens connections.
        if (opening && status === 200 && !opened.has(client)) {
          opened.add(client);
          return;
        }
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

/** How each connection opens (see LoadSpec.openWith), or undefined when it does not. */
function openingPlan(spec: LoadSpec): { path: string; perConnection: number } | undefined {
  if (!spec.openWith) return undefined;
  if (!spec.amount || !spec.timeAnswers)
    throw new Error(
      'openWith needs amount and timeAnswers: the measured requests are counted from the answers',
    );
  // autocannon gives connection i its share of the amount (amount / connections, the first ones
  // one more); one opening GET plus the largest share never wraps round to a second GET.
  return { path: spec.openWith, perConnection: Math.ceil(spec.amount / spec.connections) };
}
