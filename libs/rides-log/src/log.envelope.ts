/**
 * The unified log's event envelope (docs/api.md, "The unified log"). An
 * entry of the Redis stream has id `<seq>-0` and these fields, all strings.
 * `payload` is JSON; numbers that must stay exact (a distance) are decimal
 * strings, so that no consumer sums floating point.
 */
export interface LogEnvelope {
  seq: bigint;
  eventId: string;
  type: string;
  version: number;
  occurredAt: string;
  /** A consistency token covering the commit that staged the event (signed when the streamer has TOKEN_SECRET). */
  token: string;
  payload: unknown;
}

/** Version 1 of `ride.created`. */
export interface RideCreatedV1 {
  ride_id: number;
  user_id: number;
  /** Decimal text, as stored (`numeric(9,1)`): `"12.5"`. */
  distance: string;
}

export const RIDE_CREATED = 'ride.created';

/** The stream entry id of a seq: Redis refuses a second entry with the same id. */
export const entryId = (seq: bigint): string => `${seq}-0`;

/** The seq of a stream entry id (its first part; {@link decodeEntry} checks the whole id). */
export const seqOfEntryId = (id: string): bigint => BigInt(id.split('-')[0]!);

/** The fields an envelope is published with. */
export function toFields(e: Omit<LogEnvelope, 'seq'>): string[] {
  return [
    'event_id',
    e.eventId,
    'type',
    e.type,
    'version',
    String(e.version),
    'occurred_at',
    e.occurredAt,
    'token',
    e.token,
    'payload',
    JSON.stringify(e.payload),
  ];
}

export type Decoded =
  | { ok: true; envelope: LogEnvelope; ride: RideCreatedV1 }
  | { ok: false; seq: bigint; reason: string; fields: Record<string, string> };

const DECIMAL = /^\d{1,9}(\.\d{1,9})?$/;

/**
 * An entry as a consumer sees it: a `ride.created` v1 it can count, or a
 * reason it cannot (a dead letter). A malformed id is not an entry of this
 * log at all: it throws.
 */
export function decodeEntry(id: string, flat: readonly string[]): Decoded {
  const match = /^(\d+)-0$/.exec(id);
  if (!match) throw new Error(`stream entry ${id} is not <seq>-0: not written by the streamer`);
  const seq = BigInt(match[1]!);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  const bad = (reason: string): Decoded => ({ ok: false, seq, reason, fields });
  if (fields.type !== RIDE_CREATED) return bad(`unknown type ${JSON.stringify(fields.type)}`);
  if (fields.version !== '1')
    return bad(`unknown version ${JSON.stringify(fields.version)} of ${RIDE_CREATED}`);
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload ?? '');
  } catch {
    return bad('payload is not JSON');
  }
  const ride = payload as Partial<RideCreatedV1> | null;
  if (
    !ride ||
    !Number.isSafeInteger(ride.ride_id) ||
    !Number.isSafeInteger(ride.user_id) ||
    typeof ride.distance !== 'string' ||
    !DECIMAL.test(ride.distance)
  )
    return bad('payload is not a ride.created v1 (ride_id, user_id, distance as decimal text)');
  if (!fields.token || !fields.event_id) return bad('no token or event_id');
  return {
    ok: true,
    ride: ride as RideCreatedV1,
    envelope: {
      seq,
      eventId: fields.event_id,
      type: fields.type,
      version: 1,
      occurredAt: fields.occurred_at ?? '',
      token: fields.token,
      payload,
    },
  };
}
