/**
 * MQTT topic names and topic filters ("patterns"), checked to the letter of MQTT 3.1.1 / 5.
 *
 * A topic is split into levels on `/`; empty levels are real levels (`a//b` has three,
 * `/a` has two). In a pattern `+` stands for exactly one level and `#` for any number of
 * trailing levels, including none, so `a/#` also matches `a`.
 *
 * Invariants:
 * - [MQTT-4.7.1-1] Wildcards never appear in a topic name (what is published).
 * - [MQTT-4.7.1-2] `#` is a whole level and the last one.
 * - [MQTT-4.7.1-3] `+` is a whole level.
 * - [MQTT-4.7.2-1] A pattern starting with `+` or `#` does not match a topic starting with `$`.
 * - [MQTT-4.7.3-1] Topics and patterns are at least one character long.
 * - [MQTT-4.7.3-2] Topics and patterns contain no NUL character (U+0000).
 * - [MQTT-4.7.3-3] Topics and patterns are at most 65,535 bytes of UTF-8.
 * Anything else is an {@link InvalidTopicError} at the call, never a silent no-match.
 */
import { InvalidTopicError } from '../errors.js';

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const NUL = 0;
const DOLLAR = 0x24;
const MAX_BYTES = 65_535;

function checkCommon(topic: string, kind: string): void {
  if (typeof topic !== 'string')
    throw new InvalidTopicError(String(topic), `${kind} must be a string`);
  if (topic.length === 0)
    throw new InvalidTopicError(topic, `${kind} must not be empty [MQTT-4.7.3-1]`);
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need the exact count.
  if (topic.length * 3 > MAX_BYTES && Buffer.byteLength(topic, 'utf8') > MAX_BYTES) {
    throw new InvalidTopicError(topic, `${kind} is longer than 65535 bytes [MQTT-4.7.3-3]`);
  }
}

/**
 * Check a topic name (what is published): non-empty, no `+`, no `#`, no NUL.
 *
 * @throws InvalidTopicError naming the problem.
 * @example
 * ```ts
 * validateTopic('fireflies/3/flash'); // ok
 * validateTopic('fireflies/+/flash'); // throws: wildcard in a topic name
 * ```
 */
export function validateTopic(topic: string): void {
  checkCommon(topic, 'topic');
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) {
      throw new InvalidTopicError(
        topic,
        `wildcard "${topic[i]}" at index ${i} is not allowed in a topic name [MQTT-4.7.1-1]`,
      );
    }
    if (c === NUL) {
      throw new InvalidTopicError(topic, `NUL character at index ${i} [MQTT-4.7.3-2]`);
    }
  }
}

/**
 * Check a topic pattern (what is subscribed to): non-empty, `+` and `#` only as whole levels,
 * `#` only last, no NUL.
 *
 * @throws InvalidTopicError naming the problem.
 * @example
 * ```ts
 * validatePattern('fireflies/+/flash'); // ok
 * validatePattern('a/#/b'); // throws: "#" must be the last level
 * ```
 */
export function validatePattern(pattern: string): void {
  checkCommon(pattern, 'pattern');
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern.charCodeAt(i);
    if (c === NUL) {
      throw new InvalidTopicError(pattern, `NUL character at index ${i} [MQTT-4.7.3-2]`);
    }
    if (c !== PLUS && c !== HASH) continue;
    const wholeLevel =
      (i === 0 || pattern.charCodeAt(i - 1) === SLASH) &&
      (i === n - 1 || pattern.charCodeAt(i + 1) === SLASH);
    const sign = c === PLUS ? '+' : '#';
    if (!wholeLevel) {
      throw new InvalidTopicError(
        pattern,
        `"${sign}" at index ${i} must occupy a whole level [${c === PLUS ? 'MQTT-4.7.1-3' : 'MQTT-4.7.1-2'}]`,
      );
    }
    if (c === HASH && i !== n - 1) {
      throw new InvalidTopicError(pattern, `"#" must be the last level [MQTT-4.7.1-2]`);
    }
  }
}

/** True when the pattern contains `+` or `#` (assumes a valid pattern). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('+') || pattern.includes('#');
}

/** True for topics that leading wildcards must not match. [MQTT-4.7.2-1] */
export function isSystemTopic(topic: string): boolean {
  return topic.charCodeAt(0) === DOLLAR;
}

/**
 * The reference matcher: plain, obviously correct, and slow (it splits both strings). The
 * {@link TopicTrie} must agree with it on every valid input; property tests check that.
 *
 * @throws InvalidTopicError if the pattern or the topic is invalid.
 * @example
 * ```ts
 * topicMatches('a/#', 'a');       // true: "#" matches the parent level
 * topicMatches('+/x', '$SYS/x');  // false [MQTT-4.7.2-1]
 * topicMatches('a/+', 'a/');      // true: the empty level is a level
 * ```
 */
export function topicMatches(pattern: string, topic: string): boolean {
  validatePattern(pattern);
  validateTopic(topic);
  const p = pattern.split('/');
  const t = topic.split('/');
  if (isSystemTopic(topic) && (p[0] === '+' || p[0] === '#')) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}
