/**
 * Who a gateway session is: its role and its topic ACL, from a JWT (or from the gateway's
 * `auth: { mode: 'none' }` defaults on loopback).
 *
 * Invariants:
 * - [AUTH-1] `auth: { mode: 'none' }` is refused unless the gateway listens on a loopback
 *   address: a gateway that anybody on the network could steer is never the default.
 * - [AUTH-2] A session exists only after its token verified (signature, algorithm allowed,
 *   `exp`/`nbf`, issuer and audience when configured) and its claims parsed; any failure is
 *   a {@link UnauthorizedError} and the upgrade is answered with HTTP 401.
 * - [AUTH-3] A topic ACL is a list of MQTT patterns: a publish is allowed when one pattern
 *   matches the topic; a subscription when one pattern covers every topic the subscription
 *   could match (`a/#` covers `a/+/b`, `a/+` does not cover `a/#`).
 */
import type { IncomingMessage } from 'node:http';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { jwtVerify } from 'jose';
import { z } from 'zod';
import { CascadeError, ErrorCode } from '../errors.js';
import { topicMatches } from '../messaging/topic.js';
import { ROLES, type Role } from './protocol.js';

/** The topics a session may subscribe to and publish on (MQTT patterns). */
export interface TopicAcl {
  readonly sub: readonly string[];
  readonly pub: readonly string[];
}

/** What a verified session is allowed. */
export interface Principal {
  /** The token's `sub`, or `anonymous`. */
  readonly subject: string;
  readonly role: Role;
  readonly topics: TopicAcl;
  /** Expiry in ms since 1970, or null. */
  readonly expiresAt: number | null;
}

/** `auth: { mode: 'none' }`: every session gets `role` and `topics` (loopback only). */
export interface NoAuth {
  readonly mode: 'none';
  /** Default `admin`: on loopback the one user is the operator. */
  readonly role?: Role;
  /** Default `{ sub: ['#'], pub: ['#'] }`. */
  readonly topics?: TopicAcl;
}

/** `auth: { mode: 'jwt', ... }`: a bearer token on every connection. */
export interface JwtAuth {
  readonly mode: 'jwt';
  /** HMAC secret (HS256/384/512). */
  readonly secret?: string | Uint8Array;
  /** Public key (PEM text or a KeyObject) for RS/PS/ES/EdDSA tokens. */
  readonly publicKey?: string | KeyObject;
  /** Algorithms accepted (default: HS256/384/512 with a secret, RS256/ES256/EdDSA with a key). */
  readonly algorithms?: readonly string[];
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds of clock skew allowed on `exp`/`nbf` (default 5). */
  readonly clockToleranceSec?: number;
}

export type AuthOptions = NoAuth | JwtAuth;

/**
 * `auth: { mode: 'none' }` on an address that is not loopback. [AUTH-1]
 *
 * @example
 * ```ts
 * new Gateway({ host: '0.0.0.0', auth: { mode: 'none' } }); // throws CASCADE_ERR_GATEWAY_INSECURE
 * ```
 */
export class GatewayInsecureError extends CascadeError {
  constructor(host: string) {
    super(
      ErrorCode.GATEWAY_INSECURE,
      `auth mode 'none' is only allowed on a loopback address, not ${host} (use auth: { mode: 'jwt', ... })`,
      { host },
    );
  }
}

/**
 * A connection without a valid token. [AUTH-2]
 *
 * @example
 * ```ts
 * throw new UnauthorizedError('missing bearer token');
 * ```
 */
export class UnauthorizedError extends CascadeError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(ErrorCode.UNAUTHORIZED, `unauthorized: ${reason}`, { reason }, options);
  }
}

const Claims = z.object({
  sub: z.string().optional(),
  role: z.enum(ROLES),
  topics: z
    .object({
      sub: z.array(z.string().min(1)).default([]),
      pub: z.array(z.string().min(1)).default([]),
    })
    .default({ sub: [], pub: [] }),
  exp: z.number().optional(),
});

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`.
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true
 * isLoopback('0.0.0.0'); // false: every interface
 * ```
 */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * The bearer token of an upgrade request: `Authorization: Bearer` first, then `?token=`
 * (browsers cannot set headers on a WebSocket).
 *
 * @example
 * ```ts
 * tokenOf(req); // 'eyJhbGciOi...' from 'Authorization: Bearer eyJhbGciOi...', or null
 * ```
 */
export function tokenOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m === null ? null : m[1];
  }
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  return url.searchParams.get('token');
}

/**
 * Turns an upgrade request into a {@link Principal}, or throws {@link UnauthorizedError}.
 *
 * @example
 * ```ts
 * const auth = new Authenticator({ mode: 'jwt', secret: process.env.GATEWAY_SECRET! });
 * const who = await auth.authenticate(req); // { role: 'viewer', topics: {...}, ... }
 * ```
 */
export class Authenticator {
  readonly mode: 'none' | 'jwt';
  #none: Principal | null = null;
  #key: Uint8Array | KeyObject | null = null;
  #jwt: JwtAuth | null = null;
  #algorithms: string[] = [];

  constructor(options: AuthOptions) {
    this.mode = options.mode;
    if (options.mode === 'none') {
      this.#none = {
        subject: 'anonymous',
        role: options.role ?? 'admin',
        topics: options.topics ?? { sub: ['#'], pub: ['#'] },
        expiresAt: null,
      };
      return;
    }
    this.#jwt = options;
    if (options.secret !== undefined) {
      this.#key =
        typeof options.secret === 'string'
          ? new TextEncoder().encode(options.secret)
          : options.secret;
      this.#algorithms = [...(options.algorithms ?? ['HS256', 'HS384', 'HS512'])];
    } else if (options.publicKey !== undefined) {
      this.#key =
        typeof options.publicKey === 'string'
          ? createPublicKey(options.publicKey)
          : options.publicKey;
      this.#algorithms = [...(options.algorithms ?? ['RS256', 'ES256', 'EdDSA'])];
    } else {
      throw new CascadeError(
        ErrorCode.INVALID_ARGUMENT,
        "invalid auth: mode 'jwt' needs a secret or a publicKey",
        { option: 'auth' },
      );
    }
  }

  /** The principal of a request. [AUTH-2] @throws UnauthorizedError */
  async authenticate(req: IncomingMessage): Promise<Principal> {
    if (this.#none !== null) return this.#none;
    const token = tokenOf(req);
    if (token === null) throw new UnauthorizedError('missing bearer token');
    const jwt = this.#jwt!;
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#key!, {
        algorithms: this.#algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockToleranceSec ?? 5,
      }));
    } catch (error) {
      const reason = (error as { code?: string }).code ?? 'invalid token';
      throw new UnauthorizedError(reason, { cause: error });
    }
    const parsed = Claims.safeParse(payload);
    if (!parsed.success) {
      throw new UnauthorizedError(`bad claims: ${z.prettifyError(parsed.error)}`);
    }
    const c = parsed.data;
    return {
      subject: c.sub ?? 'anonymous',
      role: c.role,
      topics: c.topics,
      expiresAt: c.exp === undefined ? null : c.exp * 1000,
    };
  }
}

/**
 * True when `role` may send control commands.
 *
 * @example
 * ```ts
 * maySteer('viewer'); // false
 * ```
 */
export function maySteer(role: Role): boolean {
  return role === 'control' || role === 'admin';
}

/**
 * May a session with `acl` publish on `topic`? [AUTH-3]
 *
 * @example
 * ```ts
 * mayPublish({ sub: [], pub: ['room/+/cursor'] }, 'room/1/cursor'); // true
 * ```
 */
export function mayPublish(acl: TopicAcl, topic: string): boolean {
  for (const pattern of acl.pub) if (topicMatches(pattern, topic)) return true;
  return false;
}

/**
 * May a session with `acl` subscribe to `pattern`? [AUTH-3]
 *
 * @example
 * ```ts
 * maySubscribe({ sub: ['room/#'], pub: [] }, 'room/+/cursor'); // true
 * ```
 */
export function maySubscribe(acl: TopicAcl, pattern: string): boolean {
  for (const allowed of acl.sub) if (patternCovers(allowed, pattern)) return true;
  return false;
}

/**
 * Does every topic matched by `pattern` also match `allowed`? Compared level by level:
 * `#` in `allowed` covers the rest (even nothing), `+` covers one level that is not `#`, a
 * name covers only itself.
 *
 * @example
 * ```ts
 * patternCovers('room/#', 'room/+/cursor'); // true
 * patternCovers('room/+', 'room/#'); // false: room/a/b is not matched by room/+
 * ```
 */
export function patternCovers(allowed: string, pattern: string): boolean {
  const a = allowed.split('/');
  const p = pattern.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') {
      // A leading wildcard never matches `$` topics, so it covers no pattern starting with `$`.
      return !(i === 0 && p[0].startsWith('$'));
    }
    if (i >= p.length) return false;
    if (p[i] === '#') return false;
    if (a[i] === '+') {
      if (i === 0 && p[0].startsWith('$')) return false;
      continue;
    }
    if (a[i] !== p[i]) return false;
  }
  return a.length === p.length;
}
