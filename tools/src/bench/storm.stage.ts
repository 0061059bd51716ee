import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { cpuMark, cpuSince, treeMs, type CpuUse } from './cpu.probe';
import { summarizeLatency } from './latency.summary';
import { classifyAnswer } from './storm.answers';

/** Where a storm stage sends its requests, as whom, and whose CPU it follows. */
export interface StormTarget {
  /** `http://127.0.0.1:<port>`: the proxy, or the API process itself. */
  url: string;
  /** Bearer keys; request n is sent as user n mod their count. */
  apiKeys: string[];
  /** A request unanswered this long is a client timeout (its connection is replaced). */
  timeoutS: number;
  /** Bound on answers per stage, whatever its length. */
  maxRequests: number;
  /**
   * Every answer must echo the request's X-Request-Id. The proxy sees to it;
   * the API's own admission refusals, written before its logger runs, carry none.
   */
  requestIdEchoed: boolean;
  cpu: { apiPid: number; postmasterPids: number[]; proxyPid: number | null };
}

export interface StormStageSpec {
  label: string;
  connections: number;
  seconds: number;
  /**
   * The stage's first seconds, not counted in its rates: its connections are
   * being opened (3,000 at once leave the first half second nearly without a
   * 201). Every answer is still judged.
   */
  settleSeconds?: number;
}

/** CPU of the stage after its settling, in cores; `client` is the load generator, `proxy` HAProxy. */
export type StormCpu = CpuUse & { proxy: number | null };

export interface StormStage extends StormStageSpec {
  /** 201s that arrived within the stage after it settled, and per second of that. */
  created: number;
  createdPerSecond: number;
  /** Answers of any kind within the stage after it settled, per second. */
  answersPerSecond: number;
  /** 503/429 with Retry-After in the JSON shape, by who answered. */
  refused: { proxy: number; api: number };
  /** Answers neither 201 nor such a refusal, by kind, with a few examples. */
  bad: number;
  badKinds: Record<string, number>;
  /** Requests unanswered within `timeoutS`, and connections that failed otherwise. */
  timeouts: number;
  connectionErrors: number;
  /** Latency of every 201, the drain's included, ms. */
  ms201: { p50: number; p99: number; max: number };
  /** From the end of the stage to the last answer of a request sent within it, ms. */
  drainMs: number;
  cpu: StormCpu;
}

/**
 * One stage of a retry storm: `connections` autocannon connections POST
 * /rides, each sending its next request as soon as it has an answer, whatever
 * the answer says (no Retry-After honoured), for `seconds`. Then no new
 * request is sent, and the ones in flight are answered or time out: every
 * request sent is judged.
 */
export function runStormStage(target: StormTarget, spec: StormStageSpec): Promise<StormStage> {
  const subjects = { apiPid: target.cpu.apiPid, postmasters: () => target.cpu.postmasterPids };
  const proxyMs = () => (target.cpu.proxyPid === null ? null : treeMs([target.cpu.proxyPid]));
  const clients: autocannon.Client[] = [];
  const ms201: number[] = [];
  const tally = { sent: 0, answers: 0, inStage: 0, created: 0, bad: 0, lastAnswerAt: 0 };
  const badKinds: Record<string, number> = {};
  const refused = { proxy: 0, api: 0 };
  // CPU, like the rates, from the end of the settling to the end of the stage.
  const markCpu = () => ({ mark: cpuMark(subjects), proxy: proxyMs(), at: performance.now() });
  let from = markCpu();
  const started = from.at;
  const stageEnd = started + spec.seconds * 1000;
  const settle = spec.settleSeconds ?? 0;
  const measuredFrom = started + settle * 1000;
  const stageCpu = (): StormCpu => {
    const end = proxyMs();
    const wall = performance.now() - from.at;
    const proxy = from.proxy === null || end === null ? null : (end - from.proxy) / wall;
    return { ...cpuSince(from.mark, subjects), proxy };
  };
  const settleTimer = settle > 0 ? setTimeout(() => (from = markCpu()), settle * 1000) : undefined;
  let cpu: StormCpu | undefined;
  let stageTimer: NodeJS.Timeout | undefined;
  let hardStop: NodeJS.Timeout | undefined;
  let instance: autocannon.Instance | undefined;

  // No new requests from here: each connection closes once its request in flight is answered
  // or times out. autocannon has no public way to do this; `responseMax`, the per-connection
  // bound behind its `amount` option, does it (checked in setupClient).
  const drain = () => {
    if (cpu) return;
    cpu = stageCpu();
    for (const client of clients) client.responseMax = Math.max(1, client.reqsMade as number);
    hardStop = setTimeout(() => instance?.stop(), (target.timeoutS + 2) * 1000);
  };
  const onAnswer = (status: number, body: string, sentId: string, headers: Headers) => {
    const now = performance.now();
    tally.lastAnswerAt = now;
    tally.answers++;
    const answer = classifyAnswer(
      status,
      headers,
      body,
      target.requestIdEchoed ? sentId : undefined,
    );
    if (now >= measuredFrom && now <= stageEnd) {
      tally.inStage++;
      if (answer.kind === 'created') tally.created++;
    }
    if (answer.kind === 'refused') refused[answer.by]++;
    if (answer.kind === 'bad') {
      tally.bad++;
      badKinds[answer.reason] = (badKinds[answer.reason] ?? 0) + 1;
    }
    if (tally.answers >= target.maxRequests) drain();
  };

  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: autocannon.Result) => {
      clearTimeout(settleTimer);
      clearTimeout(stageTimer);
      clearTimeout(hardStop);
      if (error) return reject(error);
      const latency = summarizeLatency(ms201);
      resolve({
        ...spec,
        created: tally.created,
        createdPerSecond: tally.created / (spec.seconds - settle),
        answersPerSecond: tally.inStage / (spec.seconds - settle),
        refused,
        bad: tally.bad,
        badKinds,
        timeouts: result.timeouts,
        connectionErrors: result.errors - result.timeouts,
        ms201: { ...latency, max: ms201.reduce((m, x) => Math.max(m, x), 0) },
        drainMs: Math.max(0, tally.lastAnswerAt - stageEnd),
        cpu: cpu ?? stageCpu(),
      });
    };
    instance = autocannon(
      {
        url: target.url,
        connections: spec.connections,
        // Never reached: the stage drains its connections itself.
        duration: spec.seconds + target.timeoutS + 5,
        timeout: target.timeoutS,
        pipelining: 1,
        sampleInt: 200,
        requests: [
          {
            method: 'POST',
            path: '/rides',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ distance: 10 }),
            setupRequest: (request, context) => {
              const n = tally.sent++;
              context.sentId = `storm-${n}`;
              const key = target.apiKeys[n % target.apiKeys.length]!;
              const headers = { ...request.headers, authorization: `Bearer ${key}` };
              return { ...request, headers: { ...headers, 'x-request-id': `storm-${n}` } };
            },
            onResponse: (status, body, context, headers) =>
              onAnswer(status, body, context.sentId as string, headers),
          },
        ],
        setupClient: (client) => {
          if (typeof client.reqsMade !== 'number' || !('responseMax' in client))
            throw new Error(
              'autocannon clients have no reqsMade/responseMax: storm.stage.ts cannot drain them',
            );
          clients.push(client);
        },
      },
      done,
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 201) ms201.push(ms);
    });
    stageTimer = setTimeout(drain, spec.seconds * 1000);
  });
}

type Headers = Record<string, string | string[]>;
