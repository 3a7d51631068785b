// Questions from a cluster worker to its supervisor over the IPC channel of node:cluster, and the
// supervisor's answers: `/metrics` for every worker, and login rate limits counted once for the
// deployment when there is no Redis (cluster-rate-limit.ts).
import cluster from 'node:cluster';

/** An error's message, for the one-line reports of start-up and supervision. */
export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A worker's question for every worker's metrics; the answer is Prometheus text. */
export const METRICS_QUESTION = 'metrics';

const ASK = 'evently:ask';
const ANSWER = 'evently:answer';

interface AskMessage {
  type: typeof ASK;
  id: number;
  kind: string;
  payload: unknown;
}

interface AnswerMessage {
  type: typeof ANSWER;
  id: number;
  answer?: unknown;
  error?: string;
}

const isMessage = <T extends AskMessage | AnswerMessage>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as T).type === type;

/** What the supervisor answers, by the kind of question; an answer may be a promise. */
export type SupervisorAnswers = Record<string, (payload: unknown) => unknown>;

/** In the supervisor: answers every worker's questions (a kind it does not know is an error). */
export function answerWorkers(answers: SupervisorAnswers): void {
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<AskMessage>(message, ASK)) return;
    const { id, kind, payload } = message;
    const reply = (answer: Omit<AnswerMessage, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id, ...answer } satisfies AnswerMessage);
    };
    const handler = answers[kind];
    if (!handler) return reply({ error: `the supervisor has no answer for "${kind}"` });
    Promise.resolve()
      .then(() => handler(payload))
      .then(
        (answer) => reply({ answer }),
        (error: unknown) => reply({ error: errorText(error) }),
      );
  });
}

const pending = new Map<number, (message: AnswerMessage | undefined) => void>();
let nextId = 0;
let listening = false;

/**
 * In a worker: asks the supervisor and resolves with its answer; rejects when the supervisor
 * answers with an error, does not answer within `timeoutMs`, or there is none.
 */
export function askSupervisor<T>(kind: string, payload: unknown, timeoutMs: number): Promise<T> {
  if (!listening) {
    listening = true;
    process.on('message', (message: unknown) => {
      if (isMessage<AnswerMessage>(message, ANSWER)) pending.get(message.id)?.(message);
    });
  }
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    const settle = (message: AnswerMessage | undefined) => {
      clearTimeout(timer);
      pending.delete(id);
      if (message === undefined) reject(new Error(`the supervisor did not answer "${kind}" in time`));
      else if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.answer as T);
    };
    pending.set(id, settle);
    if (!process.send) return settle({ type: ANSWER, id, error: 'this process has no supervisor' });
    process.send({ type: ASK, id, kind, payload } satisfies AskMessage, undefined, undefined, (error) => {
      if (error) settle({ type: ANSWER, id, error: errorText(error) });
    });
  });
}
