/**
 * The retained messages of a broker: at most one per topic, kept in a trie of topic levels so
 * a new subscription finds the retained messages its pattern matches by walking the pattern,
 * not by scanning every topic.
 *
 * Invariants:
 * - [RET-1] One retained message per topic; a newer one replaces it.
 * - [RET-2] An empty payload (`''`, a zero-length byte array, `undefined`, `null`) clears it.
 * - [RET-3] Matching follows the topic rules, `$`-topics included [MQTT-4.7.2-1].
 * - [RET-4] Clearing frees the nodes that no longer lead to a message.
 */
import { isSystemTopic } from './topic.js';

class RetainedNode {
  children: Map<string, RetainedNode> | null = null;
  has = false;
  topic = '';
  payload: unknown = undefined;
}

/**
 * True for the payloads that clear a retained message. [RET-2]
 *
 * @example
 * ```ts
 * isEmptyPayload(''); // true
 * isEmptyPayload(new Uint8Array(0)); // true
 * isEmptyPayload(0); // false
 * ```
 */
export function isEmptyPayload(payload: unknown): boolean {
  return (
    payload === undefined ||
    payload === null ||
    payload === '' ||
    (ArrayBuffer.isView(payload) && payload.byteLength === 0) ||
    (payload instanceof ArrayBuffer && payload.byteLength === 0)
  );
}

/**
 * Retained messages by topic (topics are assumed valid: the broker validated them).
 *
 * @example
 * ```ts
 * const store = new RetainedStore();
 * store.set('config/period', 5);
 * store.match('config/#', (topic, payload) => console.log(topic, payload));
 * store.set('config/period', ''); // clears it
 * ```
 */
export class RetainedStore {
  #root = new RetainedNode();
  #size = 0;

  /** Number of retained messages. */
  get size(): number {
    return this.#size;
  }

  /** Retain `payload` on `topic`, or clear the topic when the payload is empty. [RET-1] [RET-2] */
  set(topic: string, payload: unknown): void {
    if (isEmptyPayload(payload)) {
      this.#clear(topic);
      return;
    }
    let node = this.#root;
    for (const level of topic.split('/')) {
      const children = (node.children ??= new Map<string, RetainedNode>());
      let c = children.get(level);
      if (c === undefined) {
        c = new RetainedNode();
        children.set(level, c);
      }
      node = c;
    }
    if (!node.has) this.#size++;
    node.has = true;
    node.topic = topic;
    node.payload = payload;
  }

  /** The retained payload on exactly this topic, or undefined. */
  get(topic: string): unknown {
    let node: RetainedNode | undefined = this.#root;
    for (const level of topic.split('/')) {
      node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node.has ? node.payload : undefined;
  }

  /** Call `fn` for every retained message whose topic matches the (valid) pattern. [RET-3] */
  match(pattern: string, fn: (topic: string, payload: unknown) => void): void {
    const levels = pattern.split('/');
    const root = this.#root;
    if (root.children === null) return;
    if (levels[0] === '#') {
      for (const [level, child] of root.children) {
        if (!isSystemTopic(level)) visitAll(child, fn);
      }
      return;
    }
    if (levels[0] === '+') {
      for (const [level, child] of root.children) {
        if (!isSystemTopic(level)) walk(child, levels, 1, fn); // [MQTT-4.7.2-1]
      }
      return;
    }
    const c = root.children.get(levels[0]);
    if (c !== undefined) walk(c, levels, 1, fn);
  }

  #clear(topic: string): void {
    const levels = topic.split('/');
    const path: RetainedNode[] = [this.#root];
    let node: RetainedNode | undefined = this.#root;
    for (const level of levels) {
      node = node.children?.get(level);
      if (node === undefined) return;
      path.push(node);
    }
    if (!node.has) return;
    node.has = false;
    node.payload = undefined;
    this.#size--;
    // [RET-4] prune nodes that lead nowhere.
    for (let d = levels.length; d > 0; d--) {
      const n = path[d];
      if (n.has || (n.children !== null && n.children.size > 0)) break;
      path[d - 1].children!.delete(levels[d - 1]);
    }
  }
}

function walk(
  node: RetainedNode,
  levels: string[],
  i: number,
  fn: (topic: string, payload: unknown) => void,
): void {
  if (i === levels.length) {
    if (node.has) fn(node.topic, node.payload);
    return;
  }
  const level = levels[i];
  if (level === '#') {
    visitAll(node, fn); // includes the parent level itself [MQTT-4.7.1-2]
    return;
  }
  if (node.children === null) return;
  if (level === '+') {
    for (const child of node.children.values()) walk(child, levels, i + 1, fn);
    return;
  }
  const c = node.children.get(level);
  if (c !== undefined) walk(c, levels, i + 1, fn);
}

function visitAll(node: RetainedNode, fn: (topic: string, payload: unknown) => void): void {
  if (node.has) fn(node.topic, node.payload);
  if (node.children === null) return;
  for (const child of node.children.values()) visitAll(child, fn);
}
