/**
 * Counted nouns in the commands' summaries: "1 agent", "2500 agents".
 *
 * @example
 * ```ts
 * plural(1, 'agent'); // '1 agent'
 * plural(3, 'run', 'runs'); // '3 runs'
 * ```
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Items joined as English reads them: "a", "a and b", "a, b and c".
 *
 * @example
 * ```ts
 * listOf(['0.5', '0.8', '0.9']); // '0.5, 0.8 and 0.9'
 * ```
 */
export function listOf(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
