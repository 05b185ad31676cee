import type { Framing, HeaderList } from './http1.js';

/**
 * One request and its answer as bytes, the form both the recorder produces and the replayer
 * serves. The fixture file is a readable encoding of a list of these (see codec.ts).
 */
export interface Exchange {
  request: {
    method: string;
    /** Path and query as sent, version prefix included. */
    target: string;
    headers: HeaderList;
    body: Buffer;
    /** Set, with an empty body, when the fixture kept a large body only as its digest. */
    digest?: BodyDigest;
  };
  /** Absent when the engine never answered before the client gave up. */
  response?: {
    status: number;
    reason: string;
    headers: HeaderList;
    framing: Framing;
    /** One entry per chunk when chunked; otherwise the body in whatever pieces it arrived. */
    pieces: Buffer[];
    /** False when the client went away mid-body (a followed log or event stream it cancelled). */
    complete: boolean;
  };
  /** What crossed a hijacked (101) connection, in order. */
  upgrade?: UpgradeEvent[];
}

/** Enough to compare a body byte for byte without keeping it: its length and SHA-256. */
export interface BodyDigest {
  length: number;
  sha256: string;
}

export type Side = 'client' | 'engine';

export type UpgradeEvent = { from: Side; data: Buffer } | { from: Side; end: true };
