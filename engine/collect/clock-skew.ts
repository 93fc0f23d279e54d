/**
 * When did a collected event happen, on the server's clock? Segment's rule: a client's own time for the
 * event (`timestamp`, else `originalTimestamp`) is shifted by how far the client's clock is off, which is
 * `receivedAt - sentAt` (network time is ignored, it is milliseconds); without `sentAt` the client's time
 * is taken as is; without any client time the event happened when it was received.
 */

export interface ClientTimes {
  /** The event's time on the client clock (Segment `timestamp`). */
  timestamp?: number;
  /** Analytics.js's name for the same thing, used when `timestamp` is absent. */
  originalTimestamp?: number;
  /** When the client sent the request, on its clock (the message's or the batch's `sentAt`). */
  sentAt?: number;
}

export interface EventTime {
  /** The corrected time (ms): what windows and rules use. */
  timestamp: number;
  /** The client's uncorrected time, when it gave one. */
  originalTimestamp?: number;
}

export function eventTime(client: ClientTimes, receivedAt: number): EventTime {
  const original = client.timestamp ?? client.originalTimestamp;
  if (original === undefined) return { timestamp: receivedAt };
  const skew = client.sentAt === undefined ? 0 : receivedAt - client.sentAt;
  return { timestamp: original + skew, originalTimestamp: original };
}
