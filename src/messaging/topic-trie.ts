/**
 * A trie of topic patterns: each node is one level; `+` and `#` children sit in their own
 * slots beside the map of literal levels. Matching a topic walks its levels once, following
 * the literal child, the `+` child and the `#` child at each level, so the cost grows with
 * the topic depth (and the number of wildcard branches taken), not with the number of
 * patterns stored.
 *
 * Invariants:
 * - [TRIE-1] `match` agrees with the reference `topicMatches` (property-tested).
 * - [TRIE-2] Values of one pattern come out in insertion order.
 * - [TRIE-3] Removing the last value of a pattern frees every node that no longer leads to
 *   a value: an empty trie has exactly one node (the root).
 */
import { isSystemTopic, validatePattern, validateTopic } from './topic.js';

class TrieNode<T> {
  children: Map<string, TrieNode<T>> | null = null;
  plus: TrieNode<T> | null = null;
  hash: TrieNode<T> | null = null;
  values: T[] = [];
}

function isEmptyNode<T>(n: TrieNode<T>): boolean {
  return (
    n.values.length === 0 &&
    n.plus === null &&
    n.hash === null &&
    (n.children === null || n.children.size === 0)
  );
}

/**
 * Topic patterns mapped to values, matched against topic names.
 *
 * @example
 * ```ts
 * const trie = new TopicTrie<string>();
 * trie.add('fireflies/+/flash', 'monitor');
 * trie.add('fireflies/#', 'logger');
 * trie.match('fireflies/7/flash'); // ['monitor', 'logger'] (trie order)
 * trie.remove('fireflies/#', 'logger');
 * ```
 */
export class TopicTrie<T> {
  #root = new TrieNode<T>();
  #size = 0;
  #nodes = 1;

  /** Number of (pattern, value) entries. */
  get size(): number {
    return this.#size;
  }

  /** Number of trie nodes, the root included (1 when empty). [TRIE-3] */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Add a value under a pattern (duplicates allowed). @throws InvalidTopicError */
  add(pattern: string, value: T): void {
    validatePattern(pattern);
    let node = this.#root;
    for (const level of pattern.split('/')) node = this.#child(node, level);
    node.values.push(value);
    this.#size++;
  }

  /** Remove one occurrence of the value under the pattern; false if it was not there. */
  remove(pattern: string, value: T): boolean {
    validatePattern(pattern);
    const levels = pattern.split('/');
    const path: TrieNode<T>[] = [this.#root];
    let node: TrieNode<T> | null = this.#root;
    for (const level of levels) {
      node = TopicTrie.#step(node, level);
      if (node === null) return false;
      path.push(node);
    }
    const i = node.values.indexOf(value);
    if (i < 0) return false;
    node.values.splice(i, 1);
    this.#size--;
    // Prune from the leaf up. [TRIE-3]
    for (let d = levels.length; d > 0; d--) {
      const n = path[d];
      if (!isEmptyNode(n)) break;
      const parent = path[d - 1];
      const level = levels[d - 1];
      if (level === '+') parent.plus = null;
      else if (level === '#') parent.hash = null;
      else parent.children!.delete(level);
      this.#nodes--;
    }
    return true;
  }

  /**
   * Every value whose pattern matches the topic, appended to `out` (a fresh array if none).
   * @throws InvalidTopicError if the topic is not a valid topic name.
   */
  match(topic: string, out: T[] = []): T[] {
    validateTopic(topic);
    const levels = topic.split('/');
    const root = this.#root;
    if (isSystemTopic(topic)) {
      // [MQTT-4.7.2-1] no leading wildcard: only the literal branch at the first level.
      const c = root.children?.get(levels[0]);
      if (c !== undefined) TopicTrie.#walk(c, levels, 1, out);
    } else {
      TopicTrie.#walk(root, levels, 0, out);
    }
    return out;
  }

  static #walk<T>(node: TrieNode<T>, levels: string[], i: number, out: T[]): void {
    // `#` below this node matches the rest, including nothing (the parent). [MQTT-4.7.1-2]
    if (node.hash !== null) pushAll(out, node.hash.values);
    if (i === levels.length) {
      pushAll(out, node.values);
      return;
    }
    const c = node.children?.get(levels[i]);
    if (c !== undefined) TopicTrie.#walk(c, levels, i + 1, out);
    if (node.plus !== null) TopicTrie.#walk(node.plus, levels, i + 1, out);
  }

  static #step<T>(node: TrieNode<T>, level: string): TrieNode<T> | null {
    if (level === '+') return node.plus;
    if (level === '#') return node.hash;
    return node.children?.get(level) ?? null;
  }

  #child(node: TrieNode<T>, level: string): TrieNode<T> {
    let c = TopicTrie.#step(node, level);
    if (c !== null) return c;
    c = new TrieNode<T>();
    this.#nodes++;
    if (level === '+') node.plus = c;
    else if (level === '#') node.hash = c;
    else (node.children ??= new Map()).set(level, c);
    return c;
  }
}

function pushAll<T>(out: T[], values: T[]): void {
  for (let i = 0; i < values.length; i++) out.push(values[i]);
}
