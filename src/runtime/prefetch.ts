/**
 * Reading memory ahead of use. With a million agents most objects a step touches are cache
 * misses; a loop that only reads them, back to back, lets the processor overlap those misses,
 * where the work that follows would meet them one at a time. A value read only for that must
 * still be used, or the compiler may drop the load: such loops add what they read into
 * {@link prefetchSink}.
 */

/** Where reading-ahead loops leave what they read. Never read for anything. */
export const prefetchSink = { value: 0 };
