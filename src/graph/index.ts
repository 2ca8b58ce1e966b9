/** The graph layer. */
export {};
