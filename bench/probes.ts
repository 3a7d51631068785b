// Measurements taken beside the load: the server's resident memory (VmRSS, sampled), how the
// machine's CPU was shared between the server, PostgreSQL and the load generator, and the
// allocation engine's own counters read from /metrics.
import { readdirSync, readFileSync } from 'node:fs';

function rssKb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A process and its children (the bench server and, with WORKERS > 1, its workers). */
function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return [pid, ...children.map(Number)];
  } catch {
    return [pid];
  }
}

/** VmRSS of the process and its children together. */
function treeRssKb(pid: number): number | undefined {
  const sizes = processTree(pid).map(rssKb);
  if (sizes[0] === undefined) return undefined;
  return sizes.reduce<number>((sum, kb) => sum + (kb ?? 0), 0);
}

/**
 * Samples the VmRSS of a process and its children (all server processes) every `everyMs`,
 * keeping the overall maximum and one per label.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private label = 'setup';
  maxKb = 0;
  lastKb = 0;
  readonly maxByLabelKb = new Map<string, number>();

  constructor(
    private readonly pid: number,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
  }

  /** Attributes the following samples to `label` (a scenario). */
  setLabel(label: string): void {
    this.label = label;
    this.sample();
  }

  maxMb(label?: string): number {
    const kb = label === undefined ? this.maxKb : (this.maxByLabelKb.get(label) ?? 0);
    return Math.round(kb / 102.4) / 10;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sample(): void {
    const kb = treeRssKb(this.pid);
    if (kb === undefined) return;
    this.lastKb = kb;
    this.maxKb = Math.max(this.maxKb, kb);
    this.maxByLabelKb.set(this.label, Math.max(this.maxByLabelKb.get(this.label) ?? 0, kb));
  }
}

export interface CpuSnapshot {
  at: number;
  machineBusy: number;
  server: number;
  postgres: Map<number, number>;
  driverMicros: number;
}

function statFields(pid: string | number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process, in clock ticks. */
function processTicks(pid: string | number): number {
  const fields = statFields(pid);
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU ticks of the PostgreSQL under test, per process: its postmaster and every child (backends,
 * WAL writer, checkpointer...). Without a postmaster pid (an external server) every process named
 * postgres on this machine counts.
 */
function postgresTicks(postmasterPid: number | undefined): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (postmasterPid !== undefined) {
        if (Number(entry) !== postmasterPid && Number(statFields(entry)[1]) !== postmasterPid) continue;
      } else if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') {
        continue;
      }
      ticks.set(Number(entry), processTicks(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return ticks;
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

export function cpuSnapshot(serverPid: number, postmasterPid: number | undefined): CpuSnapshot {
  let server = 0;
  for (const pid of processTree(serverPid)) {
    try {
      server += processTicks(pid);
    } catch {
      // gone; the run reports a failed server elsewhere
    }
  }
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machineBusy: machineBusyTicks(),
    server,
    postgres: postgresTicks(postmasterPid),
    driverMicros: usage.user + usage.system,
  };
}

/**
 * CPU used between two snapshots, in cores (1.0 = one core busy the whole time). `other` is
 * everything else on the machine: anything above a few hundredths means the figures are noisy.
 */
export interface CpuShare {
  server: number;
  postgres: number;
  driver: number;
  other: number;
}

export function cpuShare(a: CpuSnapshot, b: CpuSnapshot, clockTicks: number): CpuShare {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number) => ticks / clockTicks / seconds;
  const server = cores(b.server - a.server);
  // Per process: a backend that exits mid-window (an idle pool connection closing) must not take
  // its whole history with it; one that started mid-window counts from zero.
  let postgresTicksUsed = 0;
  for (const [pid, after] of b.postgres) postgresTicksUsed += after - (a.postgres.get(pid) ?? 0);
  const postgres = cores(postgresTicksUsed);
  const driver = (b.driverMicros - a.driverMicros) / 1e6 / seconds;
  const machine = cores(b.machineBusy - a.machineBusy);
  const r = (n: number) => Math.max(0, Math.round(n * 100) / 100);
  return {
    server: r(server),
    postgres: r(postgres),
    driver: r(driver),
    other: r(machine - server - postgres - driver),
  };
}

/** The postmaster of the embedded PostgreSQL, from the pid file in its data directory. */
export function postmasterPid(dataDirectory: string | undefined): number | undefined {
  if (!dataDirectory) return undefined;
  try {
    const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface ServerCounters {
  batches: number;
  batchedRequests: number;
  /** Seconds batches spent in the database round trip, as the server measured it. */
  batchSeconds: number;
  /** V8 heap and memory outside it, in MB, when read (to explain the RSS). */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

/** The allocation engine's counters and the V8 heap, from the server's Prometheus endpoint. */
export async function serverCounters(baseUrl: string): Promise<ServerCounters> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  // With WORKERS > 1 each worker's series carries worker="<id>": a value is the sum over them.
  const samples = text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    return [{ name: match[1] as string, labels, value: Number(match[3]) }];
  });
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
  return {
    batches: value('booking_allocation', { kind: 'batches_total' }),
    batchedRequests: value('booking_allocation', { kind: 'batched_requests_total' }),
    batchSeconds: value('booking_allocation', { kind: 'batch_seconds_total' }),
    heapUsedMb: mb(value('nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(value('nodejs_heap_size_total_bytes')),
    externalMb: mb(value('nodejs_external_memory_bytes')),
  };
}

/**
 * The kernel's count of connections dropped because a listen queue was full (machine-wide).
 * A burst of new connections larger than the server's accept backlog shows up here, and as
 * seconds of latency (SYN retransmits) for the connections that were dropped.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = (lines[i] as string).split(/\s+/);
      const values = (lines[i + 1] as string).split(/\s+/);
      if (names[0] !== 'TcpExt:') continue;
      const at = names.indexOf('ListenOverflows');
      return at > 0 ? Number(values[at]) : 0;
    }
  } catch {
    // not Linux
  }
  return 0;
}
